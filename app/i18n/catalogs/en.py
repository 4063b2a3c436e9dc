"""English words for every message code (``str.format`` templates, see :mod:`app.i18n.render`).

``{n:|purchase|purchases}`` picks the first word when ``n`` is 1, else the second.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # structure (see routing.messages)
    "sep.phrases": "; ",
    "sep.list": ", ",
    "sep.or": " or ",
    "name": "{id}",
    "join": "{items}",
    "legacy": "{en}",
    # --- routing explanations ----------------------------------------------------------
    "queued": "{title}: queued in {queue} ({where})",
    "escalated": "{title}: {cause}, widened to {where}",
    "moved": "{title}: moved from {source} to {queue} by supervisor {by} ({where})",
    "directed": "{title}: offered to {who} by supervisor {by} ({where})",
    "prioritized": "{title}: priority raised by {points:g} to {priority:g} by supervisor {by} ({where})",
    "overflowed": "{title}: moved from {source} to {queue} ({where})",
    "offered": "{title}: offered to {who} ({where})",
    "where": "step {step} of {steps}: {label}",
    "where_noted": "step {step} of {steps}: {label}; {note}",
    "skipped": "skipped step {step} ({label}: {why})",
    "skip.absent": "not logged in or on break",
    "skip.no_one_new": "no one new",
    "skip.none": "none for this customer",
    "skip.no_overflow": "no overflow queue left",
    # escalation causes
    "cause.no_agent": "no agent within {seconds:g} s",
    "cause.declined": "{label} declined",
    "cause.no_answer": "{label} did not answer",
    # who got the offer
    "who.role": "{role} {name}",
    "who.team": "{name} of preferred team {team}",
    "who.senior": "senior agent {name}",
    # step labels
    "label.team": "team {team}",
    "label.preferred_team": "the preferred agent's team",
    "label.senior": "senior agents",
    "label.overflow": "overflow queue",
    "label.skilled_in": "agents skilled in {skills}",
    "label.skilled": "any skilled agent",
    "label.queue_skilled": "any agent with the queue's skills",
    # preferred roles
    "role.account_manager": "account manager",
    "role.last_agent": "last agent",
    "role.complaint_owner": "complaint owner",
    "role.agent": "agent {value}",
    "role.team": "team {value}",
    "role.preferred_team": "team",
    # candidate notes
    "note.not_eligible": "{role}: {why}",
    "note.preferred": "preferred ({role})",
    "note.proficiency": "proficiency {n}",
    "note.active": "{n} active",
    "note.idle": "idle {seconds:.0f} s",
    "note.today": "{n} today",
    # why a preferred agent could not take the contact
    "why.never": "never logged in",
    "why.declined": "declined this contact recently",
    "why.break": "on break ({reason})",
    "why.channel": "does not take {channel} now",
    "why.offline": "offline",
    "why.offered": "has another offer",
    "why.busy": "busy",
    "why.wrapup": "in wrap-up",
    "channel.voice": "voice",
    "channel.chat": "chat",
    "channel.task": "tasks",
    # care tasks held back by contact discipline (docs/care.md)
    "care.held.do_not_call": "waits: the customer asked not to be called",
    "care.held.do_not_message": "waits: the customer asked not to get messages",
    "care.held.open_complaint": "waits: no selling while the customer's complaint is open",
    "care.held.overdue_promise": "waits: no selling while a promise to the customer is overdue",
    "care.held.cap": "waits: {count} outbound contacts in {days:g} days already (the cap is {cap})",
    "care.held.not_routable": "waits: cannot be routed ({error})",
    # cancelled offers
    "cancel.no_answer": "no answer within {seconds:g} s",
    "cancel.customer_left": "customer left ({reason})",
    "cancel.break": "agent went on break",
    "cancel.logout": "agent logged out",
    "cancel.rejected": "declined ({reason})",
    "cancel.undelivered": "the offer could not be shown to the agent",
    "cancel.withdrawn": "withdrawn by supervisor {by}",
    # why a contact ended
    "end.abandoned": "abandoned",
    "end.hangup": "hung up",
    "end.ended": "ended",
    # the built-in rule
    "rule.fallback": "no rule matched",
    # --- customer value ----------------------------------------------------------------
    "money": "{currency}{amount:,.0f}",
    "money.neg": "-{currency}{amount:,.0f}",
    "days.short": "{n:.1f} days",
    "days": "{n:,.0f} days",
    "measure.margin": "margin",
    "measure.revenue": "revenue",
    "lifecycle.exploration": "exploration",
    "lifecycle.formation": "formation",
    "lifecycle.stable": "stable",
    "lifecycle.decline": "decline",
    "top": "top {pct} %",
    # grade (pyramid)
    "grade.head": "{grade}: 12-month {measure} {value}",
    "grade.at_threshold": "{head} ≥ {grade} threshold {limit}",
    "grade.below_threshold": "{head} below {above} threshold {limit}",
    "grade.ranked": "{head}, rank {rank:,} of {size:,} ({top})",
    "grade.placed": "{head}, {placed}",
    "grade.placed_by": "placed by the {date} snapshot ({grade}{start})",
    "grade.placed_from": " from {value}",
    "grade.prospect": "{grade}: no purchases yet (customer since {date})",
    "grade.override": "{grade} (manual override by {by}{term}: {why}); computed: {computed}",
    "grade.override_until": " until {when}",
    "grade.override_ignored": "{reason}; override to {grade!r} by {by} ignored: unknown grade",
    # RFM
    "rfm": (
        "R{r} F{f} M{m}: last purchase {ago} ago, {count:,} {count:|purchase|purchases} "
        "and {measure} {value} ({span})"
    ),
    "rfm.12m": "in 12 months",
    "rfm.all": "all time",
    "rfm.none": "no purchases yet",
    # CLV
    "clv": (
        "CLV {value} over {years} {years:|year|years}: yearly {measure} {yearly} × P(active) "
        "{p:.2f} (last purchase {ago} ago, usual interval {interval}), retention {q:.2f}/year, "
        "discount {d:g} %/year"
    ),
    "clv.none": "CLV 0: no purchase history",
    # lifecycle
    "stage.prospect": "{stage}: no purchases yet",
    "stage.won_back": "{stage}: won back by an agent {ago} ago, no purchase since yet",
    "stage.lapsed": "{stage}: no purchase for {ago}, {x:.1f}× the usual interval of {interval}",
    "stage.trend": (
        "{recent} {recent:|purchase|purchases} in the last {window} days vs {base} in the "
        "{observed:.0f} days before (rate ×{f:.2f}{value})"
    ),
    "stage.trend_value": ", value ×{v:.2f}",
    "stage.declining": "{stage}: {trend}",
    "stage.exploring": "{stage}: {n} {n:|purchase|purchases}, the first {tenure} ago",
    "stage.growing": "{stage}: growing, {trend}",
    "stage.steady": "{stage}: steady, {trend}",
    "stage.young": (
        "{stage}: {n} purchases since the first {tenure} ago, too young for a baseline"
    ),
    "stage.long": "{stage}: {n} purchases over {tenure}, usual interval {interval}",
    # churn
    "churn": "churn risk {risk:.2f}: {factors}",
    "churn.none": "churn risk {risk:.2f}: no risk factors",
    "churn.recency": "no purchase for {ago} ({x:.1f}× the usual {interval})",
    "churn.decline": "declining against own history",
    "churn.open": "{n} open complaint(s)",
    "churn.complaints": "{n} complaint(s) in 12 months",
    "churn.promises": "{n} broken promise(s) in 12 months",
    "churn.ratings": "{low} of {count} ratings <= {max}",
}
