"""The words of routing explanations, in English and Chinese: a catalog of templates.

Every sentence is rendered in both languages from the same facts by :func:`say` (see
:class:`routing.catalog.Catalog`); a fact that is itself words (a step label, a role) is given
as a :class:`Text` and each language takes its own side. Numbers are formatted by the same
format spec in both templates, so the two sentences always carry the same figures.
"""

from __future__ import annotations

from routing.catalog import EMPTY, Catalog, Text, join

__all__ = ["EMPTY", "EN", "ZH", "Text", "end_reason", "join", "role_zh", "say"]


EN: dict[str, str] = {
    # explanations
    "queued": "{title}: queued in {queue} ({where})",
    "escalated": "{title}: {cause}, widened to {where}",
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
    "label.or": " or ",
    "label.team": "team {team}",
    "label.preferred_team": "the preferred agent's team",
    "label.senior": "senior agents",
    "label.overflow": "overflow queue",
    "label.skilled_in": "agents skilled in {skills}",
    "label.skilled": "any skilled agent",
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
    # cancelled offers
    "cancel.no_answer": "no answer within {seconds:g} s",
    "cancel.customer_left": "customer left ({reason})",
    "cancel.break": "agent went on break",
    "cancel.logout": "agent logged out",
    # the built-in rule
    "rule.fallback": "no rule matched",
}

ZH: dict[str, str] = {
    "queued": "{title}：在 {queue} 队列排队（{where}）",
    "escalated": "{title}：{cause}，扩大到{where}",
    "overflowed": "{title}：从 {source} 队列转入 {queue} 队列（{where}）",
    "offered": "{title}：分配给 {who}（{where}）",
    "where": "第 {step}/{steps} 步：{label}",
    "where_noted": "第 {step}/{steps} 步：{label}；{note}",
    "skipped": "跳过第 {step} 步（{label}：{why}）",
    "skip.absent": "未登录或在小休",
    "skip.no_one_new": "没有新增坐席",
    "skip.none": "该客户没有对应人选",
    "skip.no_overflow": "已无可转入的溢出队列",
    "cause.no_agent": "{seconds:g} 秒内无坐席接起",
    "cause.declined": "{label}已拒绝",
    "cause.no_answer": "{label}未应答",
    "who.role": "{role} {name}",
    "who.team": "首选团队 {team} 的 {name}",
    "who.senior": "资深坐席 {name}",
    "label.or": "或",
    "label.team": "{team} 团队",
    "label.preferred_team": "首选坐席所在团队",
    "label.senior": "资深坐席",
    "label.overflow": "溢出队列",
    "label.skilled_in": "具备 {skills} 技能的坐席",
    "label.skilled": "任一具备技能的坐席",
    "role.account_manager": "客户经理",
    "role.last_agent": "上次服务的坐席",
    "role.complaint_owner": "投诉负责人",
    "role.agent": "指定坐席 {value}",
    "role.team": "{value} 团队",
    "role.preferred_team": "首选团队",
    "note.not_eligible": "{role}：{why}",
    "note.preferred": "首选（{role}）",
    "note.proficiency": "熟练度 {n}",
    "note.active": "进行中 {n} 个",
    "note.idle": "空闲 {seconds:.0f} 秒",
    "note.today": "今日已接 {n} 个",
    "why.never": "从未登录",
    "why.declined": "最近拒绝过该联系",
    "why.break": "小休中（{reason}）",
    "why.channel": "目前不接{channel}",
    "why.offline": "离线",
    "why.offered": "正在响铃另一个联系",
    "why.busy": "忙碌",
    "why.wrapup": "话后处理中",
    "channel.voice": "电话",
    "channel.chat": "在线会话",
    "cancel.no_answer": "{seconds:g} 秒内未应答",
    "cancel.customer_left": "客户已离开（{reason}）",
    "cancel.break": "坐席已转为小休",
    "cancel.logout": "坐席已退出登录",
    "rule.fallback": "未匹配任何规则",
}


SAY = Catalog(EN, ZH)
say = SAY.say


_ROLE_KEYS = {
    "account manager": "role.account_manager",
    "last agent": "role.last_agent",
    "complaint owner": "role.complaint_owner",
    "team": "role.preferred_team",
}


END_REASONS_ZH = {"abandoned": "放弃等待", "hangup": "挂断", "ended": "结束"}
"""Chinese for the usual codes of why a contact ended (others are shown as given)."""


def end_reason(code: str) -> Text:
    """A contact's end reason code ("hangup") in both languages."""
    return Text(code, END_REASONS_ZH.get(code, code))


def role_zh(label: str) -> str:
    """The Chinese of a preferred-agent role as :attr:`routing.policy.Preferred.label` writes
    it ("account manager", "agent a7", "team north") or ``"team"`` (member of a preferred team).
    """
    key = _ROLE_KEYS.get(label)
    if key is not None:
        return ZH[key]
    kind, _, value = label.partition(" ")
    if kind in ("agent", "team") and value:
        return ZH[f"role.{kind}"].format(value=value)
    return label
