"""One unit of work per inbound message or job step: rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from loyalty.figures import FiguresStore, FiguresUnitOfWork
from loyalty.ports import Conflict
from storage.accounts import Accounts
from storage.appointments import Appointments, Schedules
from storage.conversations import (
    Conversations,
    Identities,
    LinkTokens,
    Receipts,
    Secrets,
)
from storage.events import Events, Rsvps
from storage.figures import Figures
from storage.handoffs import Handoffs, StaffMembers, Transcripts
from storage.leases import Leases
from storage.occasions import OccasionDates
from storage.office import Office
from storage.outbox import Outbox
from storage.repositories import Badges, Consents, Ledger, Members, Purchases, Tiers
from storage.rewards import Rewards

BULK_LOG_PAGES = 10_000  # SQLite's write-ahead log in a bulk writer's hands: about 40 MB


class UnitOfWork(FiguresUnitOfWork):
    """A transaction with the repositories bound to it: what the services name
    (loyalty.stores, and loyalty.figures for the figures), made of SQLAlchemy.

    A UNIQUE violation inside it surfaces as `loyalty.ports.Conflict`, so a service can
    retry knowing someone else wrote the same fact first.
    """

    session: AsyncSession
    figures: FiguresStore  # the figures' own protocol: loyalty/stores.py is full

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bulk: bool = False, sqlite: bool = False
    ) -> None:
        self._sessions = sessions
        self._bulk = bulk
        self._sqlite = sqlite

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.members = Members(self.session)
        self.purchases = Purchases(self.session)
        self.ledger = Ledger(self.session)
        self.accounts = Accounts(self.session)
        self.tiers = Tiers(self.session)
        self.badges = Badges(self.session)
        self.consents = Consents(self.session)
        self.identities = Identities(self.session)
        self.conversations = Conversations(self.session)
        self.receipts = Receipts(self.session)
        self.link_tokens = LinkTokens(self.session)
        self.secrets = Secrets(self.session)
        self.handoffs = Handoffs(self.session)
        self.staff = StaffMembers(self.session)
        self.transcripts = Transcripts(self.session)
        self.events = Events(self.session)
        self.rsvps = Rsvps(self.session)
        self.schedules = Schedules(self.session)
        self.appointments = Appointments(self.session)
        self.outbox = Outbox(self.session)
        self.leases = Leases(self.session)
        self.occasion_dates = OccasionDates(self.session)
        self.office = Office(self.session)
        self.figures = Figures(self.session)
        self.rewards = Rewards(self.session)
        if self._bulk and self._sqlite:
            # Each checkpoint copies the log into the database and waits for the disk: at
            # SQLite's default (every 1,000 pages) a third of the import's time. The setting
            # is the connection's, and stays with it: the log is still copied, in bigger steps.
            await self.session.execute(text(f"PRAGMA wal_autocheckpoint = {BULK_LOG_PAGES}"))
        elif self._bulk:
            # A bulk writer's tables grow under it: a prepared statement's generic plan, made
            # while they were small (a scan), would stay for the whole import. Its statements
            # are short, but the counts of many members look costly to the planner (JIT above
            # a cost of 100,000): compiling one took 0.7 s, running it 0.05 s.
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            await self.session.execute(text("SET LOCAL jit = off"))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.close()  # rolls back what was not committed; keeps loaded values
        if isinstance(exc, IntegrityError):
            raise Conflict(str(exc.orig)) from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc


class Reading(UnitOfWork):
    """The repositories for reads alone, on the database's reading engine (autocommit, read
    only: a write raises); nothing to commit."""

    async def commit(self) -> None:
        raise TypeError("a reading unit of work writes nothing: use Database.unit_of_work()")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.session.in_transaction():  # a direct read (storage/direct.py) began none
            await super().__aexit__(exc_type, exc, tb)
