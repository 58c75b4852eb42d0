"""The back office's rules, pure: who may sign in, for how long, and when a sign-in is
refused for too many failures; and what the services need of storage for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from loyalty.records import AuditEntry, OfficeAccount, OfficeSession

ROLES = ("owner", "staff")
MIN_PASSWORD = 12
LINK_LIFETIME = timedelta(hours=48)  # a one-time link to set a password
IDLE = timedelta(hours=8)  # a session unused this long has ended
ABSOLUTE = timedelta(days=7)  # and any session this old
FAILURES = 5  # failed sign-ins for one e-mail from one address within WINDOW...
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)  # ...refuse the next ones for this long


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """When the lock that `failures` (oldest first) earned lifts; None when none holds now."""
    ends = [
        failures[i] + LOCK
        for i in range(FAILURES - 1, len(failures))
        if failures[i] - failures[i - FAILURES + 1] <= WINDOW
    ]
    return max(ends) if ends and max(ends) > now else None


def alive(session: OfficeSession, now: datetime) -> bool:
    """A session ends when left idle too long, and in any case when too old."""
    return now - session.seen_at < IDLE and now - session.started_at < ABSOLUTE


def why_not_disable(accounts: Sequence[OfficeAccount], email: str, by: str | None) -> str | None:
    """Why `by` (None: the command line) may not disable `email`'s account; None when they
    may. No one disables themselves, and the club always keeps an owner who can sign in."""
    target = next((one for one in accounts if one.email == email), None)
    if target is None:
        return "no such account"
    if email == by:
        return "one cannot disable one's own account"
    if last_owner(accounts, email):
        return "the last owner's account stays"
    return None


def last_owner(accounts: Sequence[OfficeAccount], email: str) -> bool:
    """Whether `email` is the only owner whose account is not disabled."""
    owners = [one.email for one in accounts if one.role == "owner" and one.disabled_at is None]
    return owners == [email]


class OfficeStore(Protocol):
    """The back office's accounts, their one-time links, sessions, failures and audit log.
    Tokens reach it hashed only."""

    async def add_account(self, email: str, role: str, now: datetime) -> OfficeAccount: ...
    async def account(self, email: str) -> OfficeAccount | None: ...
    async def account_by_id(self, account_id: int) -> OfficeAccount | None: ...
    async def add_link(
        self, digest: str, account_id: int, now: datetime, expires: datetime
    ) -> None: ...
    async def link(self, digest: str, now: datetime) -> OfficeAccount | None: ...
    async def use_link(self, digest: str, now: datetime) -> OfficeAccount | None: ...
    async def open_session(self, digest: str, account_id: int, now: datetime) -> None: ...
    async def find_session(self, digest: str) -> OfficeSession | None: ...
    async def end_session(self, digest: str) -> None: ...
    async def failures(self, email: str, address: str, since: datetime) -> list[datetime]: ...
    async def fail(self, email: str, address: str, now: datetime) -> None: ...
    async def forgive(self, email: str, address: str) -> None: ...
    async def audit(self, email: str, action: str, now: datetime) -> None: ...
    async def audit_log(self, limit: int) -> Sequence[AuditEntry]: ...
    async def accounts(self) -> Sequence[OfficeAccount]: ...
    async def end_sessions(self, account_id: int) -> None: ...
    async def purge(self, failed_before: datetime, idle_before: datetime,
                    started_before: datetime, now: datetime) -> int: ...  # fmt: skip
