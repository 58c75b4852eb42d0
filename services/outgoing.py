"""A message at its moment of sending: the rules it meets then and its words (`prepare`),
and what came of its call (`record`), each in the sender's transaction.

Kept apart from the sender (services/sending.py), which decides when and how many: what a
message says and whether it may go is the same whoever sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.booking import BOOKED
from loyalty.consent import Channel, Purpose, current
from loyalty.pace import backoff
from loyalty.phones import mask_phone
from loyalty.ports import (
    Failed,
    Outcome,
    Outgoing,
    Retry,
    Sent,
    Uncertain,
    Unreachable,
    Waiting,
)
from loyalty.program import Program
from loyalty.records import Member, OutboxMessage
from loyalty.sending import Cancel, Cap, Defer, decide
from loyalty.stores import UnitOfWork
from services import account_words, appointments, events, handoffs
from services.appointments import REMINDER as APPOINTMENT_REMINDER
from services.wording import Greeting, booking_news, first_name, greeting, notice, speaker_for

log = logging.getLogger("concierge.sending")
MAX_ATTEMPTS = 6
WINDOW = timedelta(hours=24)  # WhatsApp takes free text this long after the member wrote
OVERTAKEN = "overtaken: what it was about changed since it was queued"


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


async def prepare(
    uow: UnitOfWork, program: Program, row: OutboxMessage, now: datetime, report: Report
) -> Outgoing | None:
    """The rules a message meets now, its words, and what the channel must know; None
    when it is not to go now (the row is left where the rules put it)."""
    member = await uow.members.get(row.member_id) if row.member_id else None
    if row.purpose is not None:
        ruled = await _ruled(uow, program, row, row.purpose, member, now, report)
        if ruled is None:
            return None
        said = ruled
    else:
        said = Greeting(row.body, dict(row.variables), None)
    language = program.language(member.locale if member else None)
    opened = await uow.identities.last_inbound(row.channel, row.address)
    if opened is None and row.purpose is None:
        opened = row.created_at  # a reply to someone unknown: they just wrote
    thread = await handoffs.thread_of(uow, row.handoff_id) if row.handoff_id else None
    return Outgoing(
        row.id, row.channel, row.address, row.kind, said.text, media=row.media,
        photo=row.photo, extras=dict(row.variables), values=said.variables,
        template=said.template or (row.kind if row.kind != "reply" else None),
        language=language,
        window_open=opened is not None and opened + WINDOW > now,
        handoff_id=row.handoff_id, thread=thread, scheduled=row.purpose is not None,
    )  # fmt: skip


async def _ruled(
    uow: UnitOfWork,
    program: Program,
    row: OutboxMessage,
    purpose: str,
    member: Member | None,
    now: datetime,
    report: Report,
) -> Greeting | None:
    """A message the club decided to send: still allowed (consent, quiet hours, the cap)
    and still true; its words in the member's language. None: settled otherwise."""
    if member is None or member.erased_at is not None:
        await uow.outbox.settle(row.id, "cancelled", now, error="no such member")
        report.cancelled += 1
        return None
    settings = program.occasions
    zone = ZoneInfo(member.timezone) if member.timezone else program.club.zone
    standing = current(await uow.consents.history(member.id))
    sent = await uow.outbox.sent_since(member.id, now - timedelta(days=settings.cap_days))
    decision = decide(
        Purpose(purpose), Channel(row.channel), standing, now, zone, settings.quiet,
        Cap(settings.cap_messages, settings.cap_days), sent,
    )  # fmt: skip
    if isinstance(decision, Cancel):
        await uow.outbox.settle(row.id, "cancelled", now, error=decision.reason)
        report.cancelled += 1
        return None
    if isinstance(decision, Defer):
        await uow.outbox.settle(
            row.id, "pending", now, error=decision.reason, due_at=decision.until
        )
        report.deferred += 1
        return None
    said = await _words(uow, program, row, member, now)
    if said is None:
        await uow.outbox.settle(row.id, "cancelled", now, error=OVERTAKEN)
        report.cancelled += 1
    return said


async def _words(
    uow: UnitOfWork, program: Program, row: OutboxMessage, member: Member, now: datetime
) -> Greeting | None:
    """What the message says, in the member's language: an occasion, news of an event
    or a booking (None when the news is no longer true: the event cancelled, the place
    given back, the offer passed on, the booking cancelled or moved)."""
    speaker = speaker_for(member.locale, member.timezone, program)
    if row.kind == appointments.CLOSED:
        cancelled = await uow.appointments.get(int(row.variables["appointment"]))
        if cancelled is None:
            return None
        by = row.variables.get("by")
        return booking_news(row.kind, cancelled, member, speaker, program, by)
    if row.kind == APPOINTMENT_REMINDER:
        booking = await uow.appointments.get(int(row.variables["appointment"]))
        if booking is None or booking.status != BOOKED or booking.starts_at <= now:
            return None  # cancelled, or too late to remind
        if str(int(booking.starts_at.timestamp())) != row.variables.get("start"):
            return None  # moved since: the new time has reminders of its own
        return booking_news(row.kind, booking, member, speaker, program)
    if row.kind in account_words.KINDS:
        return await account_words.words(uow, program, row, member, speaker, now)
    if row.kind in events.PURPOSES:
        event = await events.still_news(uow, row.kind, int(row.variables["event"]), member.id, now)
        if event is None:
            return None
        return notice(row.kind, event, member, speaker, program.club.name)
    tier_key = await uow.tiers.current(member.id) or program.tiers.public[0].key
    tier = program.tiers.level(tier_key).name[speaker.language]
    return greeting(
        row.kind, int(row.variables.get("years") or 0) or None, first_name(member.name),
        tier, program.occasions.birthday_points, program.club.name, speaker,
    )  # fmt: skip


async def record(
    uow: UnitOfWork,
    program: Program,
    row: OutboxMessage,
    message: Outgoing,
    outcome: Outcome,
    began: bool,
    now: datetime,
    jitter: Callable[[], float],
    report: Report,
) -> None:
    """Keep what came of a send, in the caller's transaction."""
    where = f"{row.channel} message {row.id}"
    attempts = row.attempts + (1 if began else 0)
    tried = began and not message.scheduled  # not counted by `start_call`
    if isinstance(outcome, Uncertain) and not message.scheduled:
        outcome = Retry(outcome.reason)  # a reply: twice rather than never
    if isinstance(outcome, Sent):
        await uow.outbox.sent(row.id, outcome.status, outcome.provider_id, now, tried)
        report.sent += 1
        log.info("%s to %s: %s", where, mask_phone(row.address), outcome.status)
    elif isinstance(outcome, Retry) and attempts >= MAX_ATTEMPTS:
        await uow.outbox.settle(
            row.id, "dead", now, error=f"gave up: {outcome.reason}", tried=tried
        )
        await handoffs.undelivered(uow, program, now, row, outcome.reason)
        report.failed += 1
        log.warning("%s: given up after %d attempts", where, attempts)
    elif isinstance(outcome, Retry):
        wait = outcome.after or backoff(max(attempts, 1), jitter)
        due = now + timedelta(seconds=wait)
        await uow.outbox.settle(
            row.id, "pending", now, error=outcome.reason, due_at=due, tried=tried
        )
        report.retried += 1
        log.info("%s: not sent (reason in outbox list); again in %.0f s", where, wait)
    elif isinstance(outcome, Uncertain):
        await uow.outbox.settle(row.id, "uncertain", now, error=outcome.reason)
        report.uncertain += 1
        log.warning("%s: may have gone (reason in outbox list): left for staff", where)
    elif isinstance(outcome, Unreachable):
        await uow.identities.set_reachable(row.channel, row.address, False)
        await uow.outbox.settle(
            row.id, "failed", now, error="blocked by the member", code="blocked", tried=tried
        )
        await uow.outbox.cancel_waiting(row.channel, row.address, "blocked", now)
        await handoffs.undelivered(uow, program, now, row, outcome.reason)
        report.cancelled += 1
        log.info("%s: unreachable: the chat is marked so", where)
    elif isinstance(outcome, Failed):
        await uow.outbox.settle(
            row.id, "failed", now, error=outcome.reason, code=outcome.code, tried=tried
        )
        await handoffs.undelivered(uow, program, now, row, outcome.reason)
        report.failed += 1
        log.warning("%s: refused (reason in outbox list)", where)
    elif isinstance(outcome, Waiting):
        await uow.outbox.settle(row.id, outcome.status, now, error=outcome.reason, tried=tried)
        if outcome.status == "awaiting_template":
            report.awaiting_template += 1
        if outcome.reopen:
            await _reopen(uow, program, row, now)


async def _reopen(uow: UnitOfWork, program: Program, row: OutboxMessage, now: datetime) -> None:
    """Ask a member, once per closed window, to write, so that what waits can go."""
    member = await uow.members.get(row.member_id) if row.member_id is not None else None
    if member is None or member.erased_at is not None:
        return  # a stranger agreed to nothing: their replies wait for them to write
    if program.template("reopen", program.language(member.locale)) is None:
        log.warning("no 'reopen' template in the program: replies wait for the member")
        return
    opened = await uow.identities.last_inbound(row.channel, row.address) or row.created_at
    await uow.outbox.add_many_once(now, [{
        "key": f"reopen:{row.address}:{opened.isoformat()}", "member_id": member.id,
        "channel": row.channel, "address": row.address, "kind": "reopen",
        "variables": {"first_name": first_name(member.name), "club": program.club.name},
    }])  # fmt: skip


async def templates_arrived(uow: UnitOfWork, program: Program, now: datetime) -> None:
    """Messages that waited for a template the program now has go again."""
    for row_id, kind, locale in await uow.outbox.awaiting_template():
        if program.template(kind, program.language(locale)) is not None:
            await uow.outbox.settle(row_id, "pending", now, due_at=now)
