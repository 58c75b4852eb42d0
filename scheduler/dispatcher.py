"""The outbox dispatcher: what is due goes out, each message at most once, within limits.

Per message: a transaction checks the rules again (consent now, quiet hours, the cap),
writes the words and marks it sending; then the call; then a transaction records what
came of it. A dispatcher that stops leaves its messages held only until its lease ends:
what it had not begun is taken over, what it was sending becomes `uncertain` for staff
(a birthday greeting at most once beats twice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.bootstrap import Concierge
from bot.channels.delivery import BLOCKED, NO_TEMPLATE, REFUSED, RETRY, Delivery
from bot.channels.telegram import telegram_channel
from bot.channels.whatsapp import whatsapp_channel
from bot.engine import Engine
from locales import Speaker
from loyalty.booking import BOOKED
from loyalty.consent import Channel, Purpose, current
from loyalty.phones import mask_phone
from loyalty.sending import Cancel, Cap, Defer, decide
from loyalty.services import events
from loyalty.services.appointments import REMINDER as APPOINTMENT_REMINDER
from loyalty.services.events import PURPOSES as EVENT_MESSAGES
from loyalty.services.wording import Greeting, first_name, greeting, notice, reminder, speaker_for
from scheduler.limits import TELEGRAM, Limits, Rates, backoff
from storage.models import Member, OutboxMessage
from storage.outbox import AWAITING_TEMPLATE, CANCELLED, DEAD, FAILED, PENDING
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("concierge.dispatcher")
LEASE = timedelta(minutes=5)
OVERTAKEN = "overtaken: the event or the member's answer changed since it was queued"
MAX_ATTEMPTS = 6


class Sender(Protocol):
    async def deliver(self, row: OutboxMessage, greeting: Greeting, language: str) -> Delivery: ...


@dataclass
class Report:
    sent: int = 0
    deferred: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    taken_back: int = 0
    uncertain: int = 0
    awaiting_template: int = 0  # left waiting for an approved template (WhatsApp)


class Dispatcher:
    def __init__(
        self,
        app: Concierge,
        senders: dict[str, Sender],
        limits: Limits,
        worker: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        batch: int = 100,
    ) -> None:
        self.app = app
        self.senders = senders
        self.limits = limits
        self.worker = worker
        self.sleep = sleep
        self.monotonic = monotonic
        self.jitter = jitter
        self.batch = batch

    async def aclose(self) -> None:
        for sender in self.senders.values():
            await sender.aclose()

    async def drain(self) -> Report:
        """Send everything due now; returns what happened."""
        report = Report()
        async with self.app.db.unit_of_work() as uow:
            report.taken_back, report.uncertain = await uow.outbox.expire_leases(self.app.clock())
            await self._templates_arrived(uow)
            await uow.commit()
        while True:
            async with self.app.db.unit_of_work() as uow:
                rows = await uow.outbox.claim_due(self.worker, self.app.clock(), LEASE, self.batch)
                await uow.commit()
            if not rows:
                return report
            for row in rows:
                await self._one(row, report)

    async def _templates_arrived(self, uow: UnitOfWork) -> None:
        """Messages that waited for a template the program now has go again."""
        program, now = self.app.program, self.app.clock()
        for row_id, kind, locale in await uow.outbox.awaiting_template():
            if program.template(kind, program.language(locale)) is not None:
                await uow.outbox.settle(row_id, PENDING, now, due_at=now)

    async def _one(self, row: OutboxMessage, report: Report) -> None:
        app, now = self.app, self.app.clock()
        settings = app.program.occasions
        async with app.db.unit_of_work() as uow:
            member = await uow.members.get(row.member_id) if row.member_id else None
            sender = self.senders.get(row.channel)
            if member is None or member.erased_at is not None or sender is None:
                why = "the channel is off" if member is not None else "no such member"
                await uow.outbox.settle(row.id, CANCELLED, now, error=why)
                await uow.commit()
                report.cancelled += 1
                return
            zone = ZoneInfo(member.timezone) if member.timezone else app.program.club.zone
            standing = current(await uow.consents.history(member.id))
            sent = await uow.outbox.sent_since(member.id, now - timedelta(days=settings.cap_days))
            purpose = Purpose(row.purpose) if row.purpose else None
            decision = decide(
                purpose, Channel(row.channel), standing, now, zone, settings.quiet,
                Cap(settings.cap_messages, settings.cap_days), sent,
            )  # fmt: skip
            if isinstance(decision, Cancel):
                await uow.outbox.settle(row.id, CANCELLED, now, error=decision.reason)
                report.cancelled += 1
            elif isinstance(decision, Defer):
                await uow.outbox.settle(
                    row.id, PENDING, now, error=decision.reason, due_at=decision.until
                )
                report.deferred += 1
            else:
                speaker = speaker_for(member.locale, member.timezone, app.program)
                words = await self._words(uow, row, member, speaker)
                started = words is not None and await uow.outbox.start_call(
                    row.id, self.worker, now
                )
                if words is None:
                    await uow.outbox.settle(row.id, CANCELLED, now, error=OVERTAKEN)
                    report.cancelled += 1
            await uow.commit()
        if isinstance(decision, Cancel | Defer) or not started:
            return
        assert words is not None
        await self._pace(row)
        delivery = await sender.deliver(row, words, speaker.language)
        await self._record(row, delivery, report)

    async def _words(
        self, uow: UnitOfWork, row: OutboxMessage, member: Member, speaker: Speaker
    ) -> Greeting | None:
        """What the message says, in the member's language: an occasion, or news of an
        event (None when the news is no longer true: the event cancelled, the place given
        back, the offer passed on)."""
        program = self.app.program
        if row.kind == APPOINTMENT_REMINDER:
            booking = await uow.appointments.get(int(row.variables["appointment"]))
            if (
                booking is None
                or booking.status != BOOKED
                or booking.starts_at <= self.app.clock()
            ):
                return None  # cancelled, or too late to remind
            if str(int(booking.starts_at.timestamp())) != row.variables.get("start"):
                return None  # moved since: the new time has reminders of its own
            return reminder(booking, member, speaker, program)
        if row.kind in EVENT_MESSAGES:
            event = await events.still_news(uow, row.kind, int(row.variables["event"]), member.id,
                                            self.app.clock())  # fmt: skip
            if event is None:
                return None
            return notice(row.kind, event, member, speaker, program.club.name)
        tier_key = await uow.tiers.current(member.id) or program.tiers.public[0].key
        tier = program.tiers.level(tier_key).name[speaker.language]
        return greeting(
            row.kind, int(row.variables.get("years") or 0) or None,
            first_name(member.name), tier, program.occasions.birthday_points,
            program.club.name, speaker,
        )  # fmt: skip

    async def _pace(self, row: OutboxMessage) -> None:
        """Wait until the channel's and the chat's limits allow one more."""
        await self.limits.acquire(row.channel, row.address, self.monotonic, self.sleep)

    async def _record(self, row: OutboxMessage, delivery: Delivery, report: Report) -> None:
        now = self.app.clock()
        where = f"{row.channel} message {row.id} to {mask_phone(row.address)}"
        async with self.app.db.unit_of_work() as uow:
            if delivery.provider_id is not None:
                await uow.outbox.sent(row.id, delivery.status, delivery.provider_id, now)
                report.sent += 1
                log.info("%s: %s", where, delivery.status)
            elif delivery.status == RETRY and row.attempts + 1 < MAX_ATTEMPTS:
                wait = delivery.retry_after or backoff(row.attempts + 1, self.jitter)
                await uow.outbox.settle(
                    row.id,
                    PENDING,
                    now,
                    error=delivery.error,
                    due_at=now + timedelta(seconds=wait),
                )
                report.retried += 1
                log.warning("%s: not sent (reason in outbox list); again in %.0f s", where, wait)
            elif delivery.status == RETRY:
                await uow.outbox.settle(row.id, DEAD, now, error=f"gave up: {delivery.error}")
                report.failed += 1
                log.warning("%s: given up after %d attempts", where, MAX_ATTEMPTS)
            elif delivery.status == NO_TEMPLATE:
                await uow.outbox.settle(row.id, AWAITING_TEMPLATE, now, error=delivery.error)
                report.awaiting_template += 1
                log.warning("%s: waits for an approved template", where)
            elif delivery.status == BLOCKED:
                await uow.identities.set_reachable(row.channel, row.address, False)
                await uow.outbox.settle(row.id, CANCELLED, now, error="blocked by the member")
                await uow.outbox.cancel_waiting(row.channel, row.address, "blocked", now)
                report.cancelled += 1
                log.info("%s: blocked; marked unreachable", where)
            else:
                assert delivery.status == REFUSED
                await uow.outbox.settle(
                    row.id, FAILED, now, error=delivery.error, code=delivery.code
                )
                report.failed += 1
                log.warning("%s: refused (%s)", where, delivery.code or "reason in outbox list")
            await uow.commit()


def dispatcher(app: Concierge, worker: str) -> Dispatcher:
    """The dispatcher with the channels that are on, at the rates they allow."""
    engine = Engine(app)
    senders: dict[str, Sender] = {}
    rates = {}
    telegram = telegram_channel(app, engine)
    if telegram is not None:
        senders["telegram"], rates["telegram"] = telegram, TELEGRAM
    whatsapp = whatsapp_channel(app, engine)
    if whatsapp is not None:
        mps = app.settings.twilio_whatsapp_mps
        senders["whatsapp"], rates["whatsapp"] = whatsapp, Rates(overall=mps, per_chat=1)
    return Dispatcher(app, senders, Limits(rates), worker)
