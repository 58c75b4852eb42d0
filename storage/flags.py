"""Members' segments now (loyalty.segments) as SQL: what the figures count and group the
orders by, computed in the database rather than member by member in Python."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, or_, select

from loyalty.program import Program
from loyalty.purchases import Status
from loyalty.segments import Segment
from storage.models import Appointment, Member, Purchase, PurchaseSummary
from storage.summaries import SEPARATOR

KEPT = Purchase.status != Status.REFUNDED  # a purchase that counts (as the rules' "paid")


def segment_flags(now: datetime, program: Program) -> Any:
    """Each member's segments now (loyalty.segments, as SQL): one row per member with a
    kept purchase or a custom booking, a 0/1 column per segment, read from the members'
    purchase summaries (storage/summaries.py) rather than from all their purchases."""
    rules = program.segments
    custom_services = [key for key, one in program.services.items() if one.custom]
    bought = PurchaseSummary
    booked = (
        select(Appointment.member_id)
        .where(Appointment.service.in_(custom_services), Appointment.status != "cancelled")
        .distinct()
        .subquery()
    )
    paid = bought.member_id.is_not(None)

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case((condition, 1), else_=0)

    return (
        select(
            Member.id.label("member_id"),
            flag(
                and_(
                    paid,
                    bought.spend >= rules.high_value_spend,
                    bought.kinds >= rules.high_value_categories,
                )
            ).label(Segment.HIGH_VALUE_COLLECTOR),
            flag(or_(_any(rules.custom_categories), booked.c.member_id.is_not(None))).label(
                Segment.CUSTOM_CLIENT
            ),
            flag(_any(rules.occasion_categories)).label(Segment.MILESTONE_BUYER),
            flag(
                and_(
                    bought.purchases.between(2, rules.new_repeat_max_purchases),
                    bought.last_at >= now - timedelta(days=rules.recent_days),
                )
            ).label(Segment.NEW_REPEAT_BUYER),
            flag(
                and_(
                    bought.last_at < now - timedelta(days=rules.dormant_days),
                    bought.spend >= rules.dormant_min_spend,
                )
            ).label(Segment.DORMANT_BUT_PROMISING),
        )
        .select_from(Member)
        .outerjoin(bought, bought.member_id == Member.id)
        .outerjoin(booked, booked.c.member_id == Member.id)
        .where(
            Member.erased_at.is_(None),
            or_(bought.member_id.is_not(None), booked.c.member_id.is_not(None)),
        )
        .subquery()
    )


def _any(categories: Iterable[str]) -> ColumnElement[bool]:
    """The member bought in one of these categories (false for none: the rule is unused)."""
    return or_(
        false(),
        *[
            PurchaseSummary.categories.contains(SEPARATOR + c + SEPARATOR, autoescape=True)
            for c in categories
        ],
    )
