"""The back office's doors: an account invited by a one-time link, its password set, signed
in (with guessing locked out), its session checked on each request, and each of these
written in the audit log. Tokens leave here once, in clear, and are kept as digests."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from loyalty import office
from loyalty.records import AuditEntry
from loyalty.stores import UnitOfWork

HASHER = PasswordHasher()
UNKNOWN = HASHER.hash(secrets.token_hex(16))  # verified for an unknown e-mail: same time taken


class OfficeError(ValueError):
    """A request about a back-office account that cannot be carried out; the text says why."""


class Locked(Exception):
    """Too many failed sign-ins: refused, whatever the password, until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


@dataclass(frozen=True)
class Who:
    """The signed-in person, as a page shows them."""

    email: str
    role: str

    @property
    def owner(self) -> bool:
        return self.role == "owner"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_of(text: str) -> str | None:
    """The address as kept (trimmed, lower case); None when it cannot be one."""
    email = text.strip().lower()
    name, at, domain = email.partition("@")
    return email if name and at and "." in domain and len(email) <= 254 else None


async def invite(uow: UnitOfWork, email: str, role: str, now: datetime) -> str:
    """An account for `email` (or its new role) and the token of its one-time link."""
    if role not in office.ROLES:
        raise OfficeError(f"role: one of {', '.join(office.ROLES)}")
    account = await uow.office.add_account(email, role, now)
    token = secrets.token_urlsafe(32)
    await uow.office.add_link(digest(token), account.id, now, now + office.LINK_LIFETIME)
    await uow.office.audit(email, f"invited-{role}", now)
    return token


async def welcome(uow: UnitOfWork, token: str, now: datetime) -> str | None:
    """The e-mail a one-time link was given for; None when it was used or has expired."""
    account = await uow.office.link(digest(token), now)
    return account.email if account else None


async def set_password(uow: UnitOfWork, token: str, password: str, now: datetime) -> bool:
    """Set the password of the link's account and use the link up; False when the link was
    used or has expired (OfficeError when the password is too short)."""
    if len(password) < office.MIN_PASSWORD:
        raise OfficeError(f"a password of at least {office.MIN_PASSWORD} characters")
    account = await uow.office.use_link(digest(token), now)
    if account is None:
        return False
    account.password_hash = HASHER.hash(password)
    await uow.office.audit(account.email, "password-set", now)
    return True


async def sign_in(uow: UnitOfWork, email: str, password: str, address: str, now: datetime) -> str:
    """A new session's token; OfficeError when the e-mail or password is wrong (the failure
    counted), Locked after too many failures, whatever the password."""
    failures = await uow.office.failures(email, address, now - office.WINDOW - office.LOCK)
    until = office.locked_until(failures, now)
    if until is not None:
        raise Locked(until)
    account = await uow.office.account(email)
    try:
        HASHER.verify((account and account.password_hash) or UNKNOWN, password)
    except (VerificationError, InvalidHashError):
        await uow.office.fail(email, address, now)
        raise OfficeError("wrong e-mail or password") from None
    assert account is not None  # UNKNOWN's password is no one's
    await uow.office.forgive(email, address)
    token = secrets.token_urlsafe(32)
    await uow.office.open_session(digest(token), account.id, now)
    await uow.office.audit(email, "signed-in", now)
    return token


async def signed_in(uow: UnitOfWork, token: str, now: datetime) -> Who | None:
    """Who holds this session, its use noted; None when it has ended or never was."""
    session = await uow.office.find_session(digest(token))
    if session is None:
        return None
    if not office.alive(session, now):
        await uow.office.end_session(digest(token))
        return None
    account = await uow.office.account_by_id(session.account_id)
    if account is None:
        return None
    session.seen_at = now
    return Who(account.email, account.role)


async def sign_out(uow: UnitOfWork, token: str, now: datetime) -> None:
    who = await signed_in(uow, token, now)
    await uow.office.end_session(digest(token))
    if who is not None:
        await uow.office.audit(who.email, "signed-out", now)


async def audit_log(uow: UnitOfWork, limit: int = 200) -> Sequence[AuditEntry]:
    return await uow.office.audit_log(limit)
