"""The back office's accounts, links, sessions, failed sign-ins and audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OfficeAccount, OfficeAudit, OfficeFailure, OfficeLink, OfficeSession


class Office:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_account(self, email: str, role: str, now: datetime) -> OfficeAccount:
        """A new account, or the existing one with the new role (its password kept)."""
        row = await self.account(email)
        if row is None:
            row = OfficeAccount(email=email, created_at=now)
            self.session.add(row)
        row.role = role
        await self.session.flush()
        return row

    async def account(self, email: str) -> OfficeAccount | None:
        return await self.session.scalar(select(OfficeAccount).where(OfficeAccount.email == email))

    async def account_by_id(self, account_id: int) -> OfficeAccount | None:
        return await self.session.get(OfficeAccount, account_id)

    async def add_link(
        self, digest: str, account_id: int, now: datetime, expires: datetime
    ) -> None:
        self.session.add(
            OfficeLink(digest=digest, account_id=account_id, created_at=now, expires_at=expires)
        )
        await self.session.flush()

    async def link(self, digest: str, now: datetime) -> OfficeAccount | None:
        """The account of a link neither used nor expired, unless the account is disabled."""
        return await self.session.scalar(
            select(OfficeAccount)
            .join(OfficeLink, OfficeLink.account_id == OfficeAccount.id)
            .where(
                OfficeLink.digest == digest,
                OfficeLink.used_at.is_(None),
                OfficeLink.expires_at > now,
                OfficeAccount.disabled_at.is_(None),
            )
        )

    async def use_link(self, digest: str, now: datetime) -> OfficeAccount | None:
        """The link's account, the link used up; None when it was used or has expired, or
        its account is disabled."""
        row = await self.session.get(OfficeLink, digest, with_for_update=True)
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        account = await self.account_by_id(row.account_id)
        if account is None or account.disabled_at is not None:
            return None
        row.used_at = now
        return account

    async def open_session(self, digest: str, account_id: int, now: datetime) -> None:
        self.session.add(
            OfficeSession(digest=digest, account_id=account_id, started_at=now, seen_at=now)
        )
        await self.session.flush()

    async def find_session(self, digest: str) -> OfficeSession | None:
        return await self.session.get(OfficeSession, digest)

    async def end_session(self, digest: str) -> None:
        await self.session.execute(delete(OfficeSession).where(OfficeSession.digest == digest))

    async def failures(self, email: str, address: str, since: datetime) -> list[datetime]:
        return list(
            await self.session.scalars(
                select(OfficeFailure.at)
                .where(
                    OfficeFailure.email == email,
                    OfficeFailure.address == address,
                    OfficeFailure.at >= since,
                )
                .order_by(OfficeFailure.at)
            )
        )

    async def fail(self, email: str, address: str, now: datetime) -> None:
        self.session.add(OfficeFailure(email=email, address=address, at=now))
        await self.session.flush()

    async def forgive(self, email: str, address: str) -> None:
        await self.session.execute(
            delete(OfficeFailure).where(
                OfficeFailure.email == email, OfficeFailure.address == address
            )
        )

    async def audit(self, email: str, action: str, now: datetime) -> None:
        self.session.add(OfficeAudit(email=email, action=action, at=now))
        await self.session.flush()

    async def audit_log(self, limit: int) -> Sequence[OfficeAudit]:
        return list(
            await self.session.scalars(
                select(OfficeAudit)
                .order_by(OfficeAudit.at.desc(), OfficeAudit.id.desc())
                .limit(limit)
            )
        )

    async def accounts(self) -> Sequence[OfficeAccount]:
        return list(
            await self.session.scalars(select(OfficeAccount).order_by(OfficeAccount.email))
        )

    async def end_sessions(self, account_id: int) -> None:
        await self.session.execute(
            delete(OfficeSession).where(OfficeSession.account_id == account_id)
        )

    async def purge(
        self, failed_before: datetime, idle_before: datetime, started_before: datetime,
        now: datetime,
    ) -> int:  # fmt: skip
        """Delete failed sign-ins before `failed_before`, sessions ended (idle or too old),
        and links used or expired; how many rows went."""
        gone = 0
        for statement in (
            delete(OfficeFailure).where(OfficeFailure.at < failed_before),
            delete(OfficeSession).where(
                or_(
                    OfficeSession.seen_at <= idle_before,
                    OfficeSession.started_at <= started_before,
                )
            ),
            delete(OfficeLink).where(
                or_(OfficeLink.used_at.is_not(None), OfficeLink.expires_at <= now)
            ),
        ):
            gone += (await self.session.execute(statement)).rowcount  # type: ignore[attr-defined]
        return gone
