"""The demo's past week, replayed through the real services at the times it happened.

Each agent works its own tracker in working hours (08:00-18:00 UTC): it claims the most
urgent ready task, works on it for a while, sometimes blocks on a teammate (who answers
by message some time later), completes it with its record and changelog entry, and a
review leaves a follow-up. ``clock_at`` pins the services' "now" to each step's moment, so
events, messages and entries carry the week's times: the charts, the activity feed and
the roster show something true. A seeded random makes every run tell the same story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import clock_at
from crewboard.services.core import Actor
from crewboard.services.messages import MessageService, Outgoing
from crewboard.services.tasks import ChangelogDraft, Status, TaskFilter, Tasks

DAY_START, DAY_END = 8, 18  # working hours, UTC
SEED = 15
VERIFIED = {
    "architect": "walked through with backend and frontend",
    "backend": "pytest tests/api",
    "frontend": "npm test; checked in the browser",
    "domain-expert": "checked with the business owner",
    "reviewer": "review notes on the pull request",
    "qa": "playwright run green",
}
# Who each agent turns to when stuck, and what it asks.
ASKS = {
    "backend": ("domain-expert", "Which order states may a refund start from?"),
    "frontend": ("backend", "What does a validation error look like in the API?"),
    "qa": ("frontend", "Which test ids do the checkout steps carry?"),
    "domain-expert": ("architect", "Do we model tax per line or per order?"),
    "reviewer": ("backend", "Is the retry in the payments client on purpose?"),
    "architect": ("domain-expert", "Which countries do we ship to at launch?"),
}
ANSWERS = {
    "domain-expert": "From paid and shipped only; cancelled orders are voided instead.",
    "backend": "RFC 9457 problem+json, with an errors list per field.",
    "frontend": "data-test on every step, e.g. data-test=checkout-pay.",
    "architect": "Per line: the order total is the sum.",
}


@dataclass
class Beat:
    """Where the story stands: each agent's next free moment, what is done and when."""

    start: datetime
    end: datetime
    free: dict[str, datetime] = field(default_factory=dict)
    done_at: dict[int, datetime] = field(default_factory=dict)


def working(moment: datetime, minutes: float) -> datetime:
    """``moment`` plus ``minutes`` of working time (nights and the hours outside skipped)."""
    left = timedelta(minutes=minutes)
    while True:
        if moment.hour < DAY_START:
            moment = moment.replace(hour=DAY_START, minute=0)
        if moment.hour >= DAY_END:
            moment = (moment + timedelta(days=1)).replace(hour=DAY_START, minute=0)
        close = moment.replace(hour=DAY_END, minute=0, second=0, microsecond=0)
        if moment + left <= close:
            return moment + left
        left -= close - moment
        moment = close


class Story:
    """One replay of the week for a project whose tasks already exist."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        slug: str,
        actors: dict[str, Actor],
        owner_email: str,
    ) -> None:
        self.slug = slug
        self.tasks = Tasks(session, settings)
        self.messages = MessageService(session, settings)
        self.actors = actors
        self.owner_email = owner_email
        self.rng = random.Random(SEED)  # noqa: S311 (a story, not a secret)

    async def play(self, beat: Beat) -> None:
        """Every agent works until ``beat.end``; what is unfinished then stays as it is."""
        for offset, name in enumerate(self.actors):
            beat.free[name] = beat.start + timedelta(minutes=7 * offset)
        await self._rituals(beat)
        while True:
            name = min(beat.free, key=lambda n: beat.free[n])
            moment = beat.free[name]
            if moment >= beat.end:
                return
            number = await self._ready_for(name, moment, beat)
            if number is None:
                beat.free[name] = working(moment, self.rng.randint(60, 150))
                continue
            beat.free[name] = await self._work(name, number, moment, beat)

    async def _ready_for(self, name: str, moment: datetime, beat: Beat) -> int | None:
        """The agent's most urgent pending task whose blockers were all done by ``moment``."""
        wanted = TaskFilter(tracker=name, statuses=(Status.PENDING,))
        with clock_at(moment):
            listed = await self.tasks.list_views(self.actors[name], self.slug, wanted, limit=200)
        for view in sorted(listed.items, key=lambda v: (v.task.priority, v.task.number)):
            if all(b in beat.done_at and beat.done_at[b] <= moment for b in view.blocked_by):
                return view.task.number
        return None

    async def _work(self, name: str, number: int, moment: datetime, beat: Beat) -> datetime:
        """Claim, maybe block and be answered, then complete; returns when the agent is free."""
        me, rng = self.actors[name], self.rng
        minutes = rng.randint(90, 420)
        with clock_at(moment):
            claimed = await self.tasks.claim(me, self.slug, number)
        title = claimed.task.title
        now = working(moment, minutes / 3)
        if name in ASKS and rng.random() < 0.3 and now < beat.end:
            now = await self._blocked(name, number, now, beat)
        finish = working(now, minutes * 2 / 3)
        if finish >= beat.end:
            return finish  # still at work when the story stops
        files = [f"{name}/{title.lower().split(':')[0].replace(' ', '_')[:40]}.md"]
        with clock_at(finish):
            await self.tasks.complete(
                me,
                self.slug,
                number,
                outcome=f"{title}: done and handed over",
                files=files,
                verified=VERIFIED[name],
                changelog=ChangelogDraft(
                    title=title,
                    problem=f"{title} was missing",
                    fix=f"{title}, as agreed on the tracker",
                    verification=VERIFIED[name],
                    files=files,
                ),
            )
            if name == "reviewer":
                await self.tasks.follow_up(
                    me, self.slug, number, tracker="backend", title=f"Review notes: {title}"
                )
        beat.done_at[number] = finish
        return working(finish, rng.randint(20, 120))

    async def _blocked(self, name: str, number: int, moment: datetime, beat: Beat) -> datetime:
        """Block on a teammate, ask it, and be answered; returns when work resumes."""
        helper, question = ASKS[name]
        with clock_at(moment):
            await self.tasks.block(
                self.actors[name], self.slug, number, reason=question, needs_agent=helper
            )
            asked = await self.messages.send(
                self.actors[name], self.slug, Outgoing(to=helper, body=question)
            )
        answered = working(moment, self.rng.randint(25, 160))
        if answered >= beat.end:
            return answered  # still waiting when the story stops
        with clock_at(answered):
            answer = ANSWERS.get(helper, "Done on my side; go ahead.")
            await self.messages.send(
                self.actors[helper],
                self.slug,
                Outgoing(reply_to=asked.message.id, body=answer),
            )
        resumed = answered + timedelta(minutes=self.rng.randint(5, 30))
        with clock_at(min(resumed, beat.end)):
            await self.tasks.unblock(self.actors[name], self.slug, number)
        return resumed

    async def _rituals(self, beat: Beat) -> None:
        """The team's habits: a morning note to each team, a plan approved, a person asked."""
        architect, qa = self.actors["architect"], self.actors["qa"]
        first = beat.start.replace(hour=DAY_START, minute=35)
        with clock_at(first):
            await self.messages.send(
                architect,
                self.slug,
                Outgoing(team="core", kind="broadcast", body="The model is in docs/model.md."),
            )
        with clock_at(first + timedelta(days=1, hours=1)):
            plan = await self.messages.send(
                qa,
                self.slug,
                Outgoing(
                    to="architect",
                    kind="plan_approval_request",
                    body="Plan: one end-to-end test per checkout step, run on every merge.",
                ),
            )
        with clock_at(first + timedelta(days=1, hours=2, minutes=10)):
            await self.messages.send(
                architect,
                self.slug,
                Outgoing(
                    kind="plan_approval_response",
                    request_id=plan.message.request_id,
                    approve=True,
                    body="Go ahead; add the refund path too.",
                ),
            )
        with clock_at(first + timedelta(days=2, hours=3)):
            await self.messages.send(
                self.actors["domain-expert"],
                self.slug,
                Outgoing(to=f"@{self.owner_email}", body="Need a decision on launch countries."),
            )

    async def today(self) -> None:
        """Now: whoever was still at work renews its lease (it is alive), idle agents take
        what is ready on their tracker or shared, and one of them is stuck if nobody is."""
        me = next(iter(self.actors.values()))
        running = await self.tasks.list(
            me, self.slug, TaskFilter(statuses=(Status.IN_PROGRESS,)), limit=200
        )
        for task in running.items:
            if task.owner in self.actors:
                await self.tasks.renew(self.actors[task.owner], self.slug, task.number)
        busy = {task.owner for task in running.items}
        pending = await self.tasks.list_views(
            me, self.slug, TaskFilter(statuses=(Status.PENDING,)), limit=200
        )
        ready = sorted(
            (v.task for v in pending.items if not v.open_blockers),
            key=lambda t: (t.priority, t.number),
        )
        taken: list[tuple[str, int]] = []
        for name, actor in self.actors.items():
            mine = [
                t
                for t in ready
                if t.tracker in (name, None) and t.number not in dict(taken).values()
            ]
            if name in busy or not mine:
                continue
            await self.tasks.claim(actor, self.slug, mine[0].number)
            taken.append((name, mine[0].number))
        if not any(v.open_blockers for v in pending.items):
            await self._something_waits(
                me, [t.number for t in running.items] + [n for _, n in taken]
            )
        stuck = await self.tasks.list(
            me, self.slug, TaskFilter(statuses=(Status.BLOCKED,)), limit=1
        )
        askers = [(n, number) for n, number in taken if n in ASKS]
        if not stuck.items and askers:
            name, number = askers[-1]
            helper, question = ASKS[name]
            actor = self.actors[name]
            await self.tasks.block(actor, self.slug, number, reason=question, needs_agent=helper)
            await self.messages.send(actor, self.slug, Outgoing(to=helper, body=question))

    async def _something_waits(self, me: Actor, open_numbers: list[int]) -> None:
        """However late in the day the demo is made, one card waits on work still open."""
        if not open_numbers:
            return
        blocker = open_numbers[0]
        await self.tasks.create(
            me,
            self.slug,
            title=f"Release notes for #{blocker}",
            tracker=me.agent_name,
            blocked_by=[blocker],
        )
