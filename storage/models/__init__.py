"""Tables. Times are stored in UTC; money as Decimal beside its ISO currency.

One module per area; every table is named here, so `Base.metadata` holds them all once
this package is imported (migrations, tests).
"""

from storage.models.base import Base, Money, UTCDateTime
from storage.models.calendar import (
    Appointment,
    Closure,
    Event,
    EventGuest,
    Rsvp,
    StaffHours,
)
from storage.models.members import (
    Anniversary,
    BadgeAward,
    ChannelIdentity,
    ClubSecret,
    Consent,
    LedgerEntry,
    LinkToken,
    Member,
    OccasionDate,
    Purchase,
    PurchaseSummary,
    TierStatus,
)
from storage.models.messaging import (
    ConversationState,
    Handoff,
    InboundReceipt,
    OutboxMessage,
    SendBudget,
    Staff,
    TranscriptLine,
)
from storage.models.office import (
    OfficeAccount,
    OfficeAudit,
    OfficeFailure,
    OfficeLink,
    OfficeSession,
)
from storage.models.rewards import RewardStock, Voucher

__all__ = [
    "Anniversary",
    "Appointment",
    "BadgeAward",
    "Base",
    "ChannelIdentity",
    "Closure",
    "ClubSecret",
    "Consent",
    "ConversationState",
    "Event",
    "EventGuest",
    "Handoff",
    "InboundReceipt",
    "LedgerEntry",
    "LinkToken",
    "Member",
    "Money",
    "OccasionDate",
    "OfficeAccount",
    "OfficeAudit",
    "OfficeFailure",
    "OfficeLink",
    "OfficeSession",
    "OutboxMessage",
    "Purchase",
    "PurchaseSummary",
    "RewardStock",
    "Rsvp",
    "SendBudget",
    "Staff",
    "StaffHours",
    "TierStatus",
    "TranscriptLine",
    "UTCDateTime",
    "Voucher",
]
