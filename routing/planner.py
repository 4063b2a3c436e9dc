"""Route planning: which rule, which step, which pools a contact is eligible for.

Pure logic over a :class:`Route`; it reads agent profiles (for team lookups) from the pool
directory and asks ``is_working`` whether an agent is logged in and off break (to skip
steps that would only wait for nobody).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

from routing.config import QueueConfig
from routing.contact import Contact
from routing.policy import Policy, PreferredKind, Rule, Skills, Step, Target
from routing.pools import Pool, PoolDirectory
from routing.priority import static_key
from routing.records import Route
from routing.wording import EMPTY, Message, join, say


class RoutePlanner:
    """Opens routes and moves them through escalation steps and overflow queues."""

    def __init__(
        self,
        policy: Policy,
        queues: Mapping[str, QueueConfig],
        directory: PoolDirectory,
        is_working: Callable[[str], bool],
    ) -> None:
        self.policy = policy
        self.queues = queues
        self.directory = directory
        self.is_working = is_working

    def open(self, contact: Contact, now: float, seq: int, never_to: Iterable[str] = ()) -> Route:
        """A new route for ``contact`` in its queue, rule matched, not yet on a step;
        ``never_to``: agents it is never offered to (steps of only them are passed)."""
        route = Route(
            contact=contact,
            queue=contact.queue,
            rule="",
            step=0,
            steps=0,
            step_started_at=now,
            arrived_at=now,
            queue_entered_at=now,
            enqueued_at=now,
            base=0.0,
            sort_key=0.0,
            seq=seq,
            visited=(contact.queue,),
            excluded=dict.fromkeys(never_to, math.inf),
        )
        self._apply_rule(route, now)
        return route

    def enter(self, route: Route, index: int, at: float) -> tuple[list[Pool], bool]:
        """Put ``route`` on step ``index`` at time ``at``, adding that step's pools.

        Steps that add no working agent are passed straight through (their pools still
        count: cumulative eligibility). Returns the pools added and whether the route
        reached an ``overflow`` step.
        """
        rule = self.policy.rule(route.rule)
        added: list[Pool] = []
        skipped: list[Message] = []
        while True:
            step = rule.steps[index]
            route.step, route.step_started_at = index, at
            if step.target is Target.OVERFLOW:
                route.note = join(skipped) if skipped else EMPTY
                return added, True
            route.skills = self._skills(route, rule, step)
            pools = [self.directory.intern(p) for p in self._pools(route, rule, step)]
            new = [p for p in pools if p not in route.pools]
            route.pools += tuple(new)
            added += new
            if index == len(rule.steps) - 1 or self._anyone_working(new, route, at):
                route.note = join(skipped) if skipped else EMPTY
                return added, False
            why = "skip.absent" if new else "skip.no_one_new"
            if not pools:
                why = "skip.none"
            label = rule.step_label(index)
            skipped.append(say("skipped", step=index + 1, label=label, why=say(why)))
            index += 1

    def move(self, route: Route, queue: str, at: float) -> None:
        """Move the route to ``queue`` (a supervisor's choice), re-matching the policy there
        as an overflow does; aging continues (``enqueued_at`` is kept) and the queue counts
        as visited, so an overflow never brings the contact back to it."""
        route.queue = queue
        if queue not in route.visited:
            route.visited += (queue,)
        route.epoch += 1
        route.queue_entered_at = at
        route.pools = ()
        self._apply_rule(route, at)

    def overflow(self, route: Route, at: float) -> str | None:
        """Move the route to its queue's overflow queue (re-matching the policy there).

        Returns the new queue, or None when there is none (or it was visited already, so
        overflow chains never loop). Aging continues: ``enqueued_at`` is kept.
        """
        target = self.queues[route.queue].overflow
        if target is None or target in route.visited:
            return None
        route.queue = target
        route.visited += (target,)
        route.epoch += 1
        route.queue_entered_at = at
        route.pools = ()
        self._apply_rule(route, at)
        return target

    def _apply_rule(self, route: Route, now: float) -> None:
        rule = self.policy.match(route.contact, route.queue, now)
        route.rule, route.steps = rule.name, len(rule.steps)
        route.base = route.contact.base_priority + rule.priority_boost
        route.sort_key = static_key(route.base, route.enqueued_at, self.policy.aging_rate)
        preferred: dict[str, str] = {}
        teams: list[str] = []
        for entry in rule.preferred:
            if entry.kind is PreferredKind.TEAM:
                teams.append(entry.value or "")
            elif (agent_id := entry.agent_id(route.contact)) is not None:
                preferred.setdefault(agent_id, entry.label)
            elif entry.kind is PreferredKind.ACCOUNT_MANAGER and (
                team := route.contact.customer.account_manager_team
            ):
                # The account manager left: their team stands in until a supervisor moves
                # the customer (the explanation names the team the agent was chosen from).
                teams.append(team)
        route.preferred, route.preferred_teams = preferred, tuple(teams)

    def queue_skills(self, route: Route) -> Skills:
        contact = route.contact
        if contact.required_skills and route.queue == contact.queue:
            return tuple(sorted(contact.required_skills.items()))
        return self.queues[route.queue].skills

    def _skills(self, route: Route, rule: Rule, step: Step) -> Skills:
        if step.skills is not None:
            return step.skills
        if step.queue_skills or rule.skills is None:
            return self.queue_skills(route)
        return rule.skills

    def _pools(self, route: Route, rule: Rule, step: Step) -> list[Pool]:
        channel, language, skills = route.channel, route.contact.language, route.skills
        match step.target:
            case Target.PREFERRED:
                pools = [Pool(channel, agent_id=a) for a in route.preferred]
                return pools + [Pool(channel, team=t) for t in route.preferred_teams]
            case Target.TEAM:
                teams = {step.team} if step.team else self._preferred_teams(route)
                return [Pool(channel, team=t, skills=skills, language=language) for t in teams]
            case Target.SENIOR:
                return [Pool(channel, skills=skills, language=language, senior=True)]
        return [Pool(channel, skills=skills, language=language)]

    def _preferred_teams(self, route: Route) -> set[str]:
        teams = set(route.preferred_teams)
        for agent_id in route.preferred:
            profile = self.directory.profile(agent_id)
            if profile is not None and profile.team:
                teams.add(profile.team)
        return teams

    def _anyone_working(self, pools: list[Pool], route: Route, at: float) -> bool:
        """Someone in ``pools`` is logged in, off break, and not one ``route`` excludes."""
        is_working = self.is_working
        for pool in pools:
            for agent_id in self.directory.ensure(pool):
                if is_working(agent_id) and not route.excludes(agent_id, at):
                    return True
        return False
