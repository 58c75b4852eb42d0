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
from loyalty.records import AuditEntry, OfficeAccount
from loyalty.stores import UnitOfWork

HASHER = PasswordHasher()
COMMAND_LINE = "command-line"  # who the audit log names for `concierge staff login ...`
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


async def invite(
    uow: UnitOfWork, email: str, role: str, now: datetime, by: str | None = None
) -> str:
    """An account for `email` (or its new role, enabled again) and the token of its one-time
    link. Invited by `by` from the page (audited as theirs), else from the command line.
    The last owner who can sign in is never made staff."""
    if role not in office.ROLES:
        raise OfficeError(f"role: one of {', '.join(office.ROLES)}")
    if role != "owner" and office.last_owner(await uow.office.accounts(), email):
        raise OfficeError("the last owner's account stays an owner's")
    account = await uow.office.add_account(email, role, now)
    account.disabled_at = None
    token = secrets.token_urlsafe(32)
    await uow.office.add_link(digest(token), account.id, now, now + office.LINK_LIFETIME)
    if by is None:
        await uow.office.audit(email, f"invited-{role}", now)
    else:
        await uow.office.audit(by, f"account-invited {email} {role}", now)
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
    if account is not None and account.disabled_at is not None:
        account = None  # refused like an unknown e-mail, in the same time
    try:
        HASHER.verify((account and account.password_hash) or UNKNOWN, password)
    except (VerificationError, InvalidHashError):
        await uow.office.fail(email, address, now)
        raise OfficeError("wrong e-mail or password") from None
    assert account is not None  # UNKNOWN's password is no one's
    await uow.office.forgive(email, address)
    token = secrets.token_urlsafe(32)
    await uow.office.open_session(digest(token), account.id, now)
    account.signed_in_at = now
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
    if account is None or account.disabled_at is not None:
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


async def accounts(uow: UnitOfWork) -> Sequence[OfficeAccount]:
    """Every back-office account, by e-mail."""
    return await uow.office.accounts()


async def disable(uow: UnitOfWork, email: str, now: datetime, by: str | None = None) -> bool:
    """Disable `email`'s account and end its sessions, audited as done by `by` (None: the
    command line); False when it was disabled already. OfficeError when it may not be."""
    refused = office.why_not_disable(await uow.office.accounts(), email, by)
    if refused is not None:
        raise OfficeError(refused)
    account = await uow.office.account(email)
    assert account is not None  # why_not_disable found it
    if account.disabled_at is not None:
        return False
    account.disabled_at = now
    await uow.office.end_sessions(account.id)
    await uow.office.audit(by or COMMAND_LINE, f"account-disabled {email}", now)
    return True


async def forget_expired(uow: UnitOfWork, now: datetime) -> int:
    """What the doors keep only for a while, deleted: failed sign-ins older than any lockout
    they could still count towards, sessions that have ended, links used or expired."""
    return await uow.office.purge(
        now - office.WINDOW - office.LOCK, now - office.IDLE, now - office.ABSOLUTE, now
    )
