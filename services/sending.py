"""The one way out of the house: outbox rows sent through the channel contract.

Every message, a reply as much as a birthday greeting or a staff relay, is an outbox row.
A sender claims rows with a short lease (renewed while it is alive), checks the rules a
message meets at send time, writes its words, waits for the channel's pace, and hands it
to the channel (loyalty/ports.py: one platform call, one outcome), then records what came
of it. Many sends are in flight at once; rows to one chat that keep an order (replies,
relays, staff-group posts) go one after the other, oldest first.

A reply is never lost: what could not go is tried again with a backoff, and a reply whose
call may have gone out is sent again (a member would rather see their card twice than
never). A scheduled message whose call may have gone out is `uncertain`: at most once.
A sender that stops leaves its rows to the next one as soon as their lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

from loyalty.pace import Pace
from loyalty.ports import (
    Budgets,
    ChannelPort,
    Outcome,
    Outgoing,
    Retry,
    Sent,
    Uncertain,
    Waiting,
)
from loyalty.program import Program
from loyalty.records import OutboxMessage
from loyalty.stores import UnitOfWork, Units
from services import outgoing
from services.outgoing import Report

log = logging.getLogger("concierge.sending")
LEASE = timedelta(seconds=30)  # renewed every third of it while the sender is alive
IN_FLIGHT = 64  # sends under way at once, per channel of a sender
BATCH = 200
SHORT_WAIT = 30.0  # seconds a platform may ask us to pause before the chat goes on
LATE = 0.05  # seconds a call may go past its moment, at most half its tightest interval
ROUND_END = 5.0  # seconds a stop waits for the round under way to end
IDLE_BUDGET = 60.0  # seconds past its time a chat's budget is forgotten (hosts' clock skew)


class Stopped(Exception):
    """The sender stopped while a message waited for its moment: it is not called."""


class Sender:
    """Sends what the outbox holds, as one process (`worker` names it in the leases)."""

    def __init__(
        self,
        units: Units,
        program: Program,
        channels: Mapping[str, ChannelPort],
        budgets: Budgets,
        clock: Callable[[], datetime],
        worker: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        lease: timedelta = LEASE,
        in_flight: int = IN_FLIGHT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.units = units
        self.program = program
        self.channels = dict(channels)
        self.budgets = budgets
        self.clock = clock
        self.worker = worker
        self.sleep = sleep
        self.jitter = jitter
        self.lease = lease
        self.in_flight = in_flight
        self.monotonic = monotonic  # how late a call is: the host's time, not the clock's
        self._slots: dict[str, asyncio.Semaphore] = {}  # per channel: see `_send`
        self._chats: set[tuple[str, str]] = set()  # chats this sender is sending to now
        self._rounds: set[asyncio.Task[object]] = set()  # drains under way (see `release`)
        self._stop = asyncio.Event()  # set by `release`: no new claim, no new call

    # -- what the processes call ------------------------------------------------------------

    async def drain(self) -> Report:
        """Send everything due now (the worker's round, `concierge outbox drain`)."""
        round_ = asyncio.current_task()
        if round_ is not None:
            self._rounds.add(round_)
        try:
            return await self._drain_all()
        finally:
            self._rounds.discard(round_)

    async def _drain_all(self) -> Report:
        report = Report()
        async with self.units() as uow:
            now = self.clock()
            report.taken_back, report.uncertain = await uow.leases.expire_leases(now)
            await outgoing.templates_arrived(uow, self.program, now)
            await uow.commit()
        await self.budgets.forget_idle(now.timestamp() - IDLE_BUDGET)
        async with self._alive():
            await asyncio.gather(*(self._drain(channel, report) for channel in self.channels))
        return report

    async def _drain(self, channel: str, report: Report) -> None:
        """One channel's due messages, topped up as they go. Each channel has its own, so one
        waiting for its pace (the staff group's 15 a minute, a busy chat) never holds up
        another's. More are claimed once half of those held are done, not when all are: a
        batch's last chats, each a reply after the other, would leave the pace idle."""
        running: set[asyncio.Task[None]] = set()
        try:
            while not self._stop.is_set():
                async with self.units() as uow:
                    rows = await uow.leases.claim_ready(
                        self.worker, self.clock(), self.lease, BATCH - len(running), [channel]
                    )
                    await uow.commit()
                if not rows and not running:
                    return
                running |= {asyncio.create_task(self._chain(row, report)) for row in rows}
                while running and (not rows or len(running) > BATCH // 2):
                    done, running = await asyncio.wait(
                        running, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        task.result()  # a chain's bug ends the round, as it always did
        except BaseException:
            for task in running:  # the round is cancelled (a stop's last resort) or failed
                task.cancel()
            raise

    async def send_chats(self, chats: set[tuple[str, str]]) -> Report:
        """Send at once what waits for these chats, each in order (the web process, right
        after the message that queued it)."""
        report = Report()
        async with self._alive():
            await asyncio.gather(*(self._chat(chat, report) for chat in sorted(chats)))
        return report

    async def send_these(self, row_ids: list[int]) -> dict[int, Outcome | None]:
        """Send these pending messages now, one attempt each, whatever their turn (an
        erasure's posts to the staff group); what came of each (None: the rules kept it)."""
        outcomes: dict[int, Outcome | None] = {}
        async with self._alive():
            for row_id in row_ids:
                if self._stop.is_set():
                    break
                async with self.units() as uow:
                    row = await uow.leases.claim_one(row_id, self.worker, self.clock(), self.lease)
                    await uow.commit()
                if row is not None:
                    outcomes[row_id] = await self._send(row, Report())
        return outcomes

    async def run(self, stop: asyncio.Event, every: float) -> None:
        """Drain, then again every `every` seconds (the loop's time), until `stop`; then
        give back what this process holds, for the next one to send."""
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                except Exception:  # one bad round must not end the sending
                    log.exception("sending: a round failed; again in %.0f s", every)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every)
        finally:
            await self.release()

    async def release(self) -> None:
        """This process stops: what it holds goes back at once (replies to pending, a
        scheduled message it was sending to uncertain), not at the lease's end. A round
        still under way (the worker's scheduler runs it) ends first: left running, it would
        claim rows after they were given back, held until their lease ran out."""
        self._stop.set()  # the rounds end at their next step (a cancel inside a statement
        # could leave a SQLite connection in its transaction, and the give-back behind it)
        rounds = self._rounds - {asyncio.current_task()}
        if rounds:
            _, stuck = await asyncio.wait(rounds, timeout=ROUND_END)
            for round_ in stuck:  # bounded: a round stuck in a lock must not keep us running
                round_.cancel()
            if stuck:
                await asyncio.wait(stuck, timeout=ROUND_END)
        async with self.units() as uow:
            await uow.leases.let_go(self.worker, self.clock())
            await uow.commit()

    # -- one chat, one row --------------------------------------------------------------------

    async def _chat(self, chat: tuple[str, str], report: Report) -> None:
        """A chat's ordered messages, one after the other: a message's result is recorded
        in the transaction that takes the next (two transactions a reply, not five)."""
        if chat[0] not in self.channels or chat in self._chats or self._stop.is_set():
            return  # off here, or already being sent to by this process (it looks again)
        self._chats.add(chat)
        try:
            async with self.units() as uow:
                row, message = await self._head(uow, chat, report)
                await uow.commit()
            while row is not None and message is not None:
                called = await self._call(row, message)
                if called is None:
                    return  # the sender stops: the row goes back with the others it holds
                outcome, began = called
                going_on = isinstance(outcome, Sent | Waiting) and not self._stop.is_set()
                async with self.units() as uow:
                    await self._record(uow, row, message, outcome, began, report)
                    following = await self._head(uow, chat, report) if going_on else None
                    await uow.commit()
                await self._tell_staff(uow, row)
                if following is not None:
                    row, message = following
                elif not self._stop.is_set() and await self._next(outcome):  # a short pause
                    async with self.units() as uow:
                        row, message = await self._head(uow, chat, report)
                        await uow.commit()
                else:
                    return
        finally:
            self._chats.discard(chat)

    async def _head(
        self, uow: UnitOfWork, chat: tuple[str, str], report: Report
    ) -> tuple[OutboxMessage | None, Outgoing | None]:
        """The chat's next ordered message, held, and what it says."""
        row = await uow.leases.claim_head(*chat, self.worker, self.clock(), self.lease)
        if row is None:
            return None, None
        return row, await outgoing.prepare(uow, self.program, row, self.clock(), report)

    async def _chain(self, row: OutboxMessage, report: Report) -> None:
        """Send a claimed row; when it keeps an order, then the rest of its chat."""
        outcome = await self._send(row, report)
        if row.purpose is None and await self._next(outcome):
            await self._chat((row.channel, row.address), report)

    async def _next(self, outcome: Outcome | None) -> bool:
        """Whether the chat's next message may go now: this one went, or it waits for the
        member aside, or the platform asked for a short pause (waited out here)."""
        if (
            isinstance(outcome, Retry)
            and outcome.after is not None
            and (outcome.after <= SHORT_WAIT)
        ):
            await self._pause(outcome.after)
            return not self._stop.is_set()
        return isinstance(outcome, Sent | Waiting)

    async def _send(self, row: OutboxMessage, report: Report) -> Outcome | None:
        """The rules and the words, the call, the record, each row on its own (a batch's,
        an erasure's posts); None when the rules kept it back (left where they put it)."""
        async with self.units() as uow:
            message = await outgoing.prepare(uow, self.program, row, self.clock(), report)
            await uow.commit()
        if message is None:
            return None
        called = await self._call(row, message)
        if called is None:
            return None
        outcome, began = called
        async with self.units() as uow:
            await self._record(uow, row, message, outcome, began, report)
            await uow.commit()
        await self._tell_staff(uow, row)
        return outcome

    async def _record(
        self,
        uow: UnitOfWork,
        row: OutboxMessage,
        message: Outgoing,
        outcome: Outcome,
        began: bool,
        report: Report,
    ) -> None:
        await outgoing.record(
            uow, self.program, row, message, outcome, began, self.clock(), self.jitter, report
        )

    async def _call(self, row: OutboxMessage, message: Outgoing) -> tuple[Outcome, bool] | None:
        """The pace, then the channel's one call: its outcome, and whether the call began;
        None when the sender stopped first. A scheduled message is marked under way just
        before (at most once); an ordered one needs no mark, a reply whose call may have
        gone is sent again."""
        channel = self.channels[row.channel]
        # Slots per channel: sends waiting for Telegram's pace must not hold every slot while
        # WhatsApp's could go.
        slots = self._slots.setdefault(row.channel, asyncio.Semaphore(self.in_flight))
        async with slots:
            began = False

            async def before_call() -> None:
                nonlocal began
                keys = channel.paces(message)
                # Later than half a slot, it would land in the next one's second (WhatsApp
                # paced at its MPS has no margin: 12.5 ms slots at 80 a second)
                late = min([LATE, *(pace.interval / 2 for _, pace in keys)])
                await self._own_turn(keys)
                at = await self.budgets.reserve(keys, self.clock().timestamp())
                for last in (False, True):
                    wait = at - self.clock().timestamp()
                    due = self.monotonic() + max(wait, 0.0)
                    if wait > 0:
                        await self._pause(wait)
                    if self._stop.is_set() and not began:
                        raise Stopped
                    if not began:
                        began = True
                        if message.scheduled:
                            async with self.units() as uow:
                                await uow.leases.start_call(
                                    row.id, self.worker, self.clock(), self.lease
                                )
                                await uow.commit()
                    if last or self.monotonic() - due <= late:
                        return
                    # Its moment passed while the call was noted or the process was busy:
                    # going now would crowd the calls that keep theirs (a 429). A new one.
                    at = await self.budgets.reserve(keys, self.clock().timestamp())

            try:
                outcome = await channel.send(message, before_call)
            except Stopped:
                return None
            except Exception as exc:  # a channel's bug must not stop the others
                log.exception("%s message %s: the channel failed", row.channel, row.id)
                outcome = Uncertain(type(exc).__name__) if began else Retry(type(exc).__name__)
            return outcome, began

    async def _own_turn(self, keys: Sequence[tuple[str, Pace]]) -> None:
        """Wait until the chat's own keys allow the send (all but the first, the bot's),
        holding nothing: reserved together, the bot's key would jump past the chat's wait,
        its slots in between lost to every other chat (a staff-group post waiting for the
        group's minute held back every member's reply: Telegram at 83-86 % of its pace)."""
        now = self.clock().timestamp()
        wait = await self.budgets.ready(keys[1:], now) - now
        if wait > 0:
            await self._pause(wait)

    async def _tell_staff(self, uow: UnitOfWork, row: OutboxMessage) -> None:
        """Send what recording a result queued for others (staff told a message failed)."""
        told = uow.outbox.touched - {(row.channel, row.address)}
        if told:
            await self.send_chats(told)

    async def _pause(self, seconds: float) -> None:
        """Wait for a call's moment; a stop cuts it short (nothing is held while waiting)."""
        pause = asyncio.ensure_future(self.sleep(seconds))
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((pause, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            pause.cancel()
            stop.cancel()

    # -- the lease ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _alive(self) -> AsyncIterator[None]:
        """While sending, keep this sender's leases from running out; and count the task
        among the rounds a stop lets end (`release`): a reply sent at once, cancelled between
        its call and its record, would be given back and sent twice."""
        round_ = asyncio.current_task()
        mine = {round_} - self._rounds if round_ is not None else set()  # not yet counted
        self._rounds |= mine
        beat = asyncio.create_task(self._renew())
        try:
            yield
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            self._rounds -= mine

    async def _renew(self) -> None:
        """Every third of a lease; on the event loop's own time, which tests never move."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with self.units() as uow:
                await uow.leases.renew(self.worker, self.clock(), self.lease)
                await uow.commit()
