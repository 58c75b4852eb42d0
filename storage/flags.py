"""Members' segments now (loyalty.segments) as SQL: what the figures count and group the
orders by, computed in the database rather than member by member in Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select

from loyalty.program import Program, Segments
from loyalty.purchases import Status
from loyalty.segments import Segment
from storage.models import Appointment, Member, Purchase

KEPT = Purchase.status != Status.REFUNDED  # a purchase that counts (as the rules' "paid")


def segment_flags(now: datetime, program: Program) -> Any:
    """Each member's segments now (loyalty.segments, as SQL): one row per member with a
    purchase or a custom booking, a 0/1 column per segment."""
    rules = program.segments
    custom_services = [key for key, one in program.services.items() if one.custom]
    bought = _bought(rules)
    booked = (
        select(Appointment.member_id)
        .where(Appointment.service.in_(custom_services), Appointment.status != "cancelled")
        .distinct()
        .subquery()
    )
    paid = bought.c.n.is_not(None)

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case((condition, 1), else_=0)

    return (
        select(
            Member.id.label("member_id"),
            flag(
                and_(
                    paid,
                    bought.c.spend >= rules.high_value_spend,
                    bought.c.kinds >= rules.high_value_categories,
                )
            ).label(Segment.HIGH_VALUE_COLLECTOR),
            flag(or_(bought.c.custom == 1, booked.c.member_id.is_not(None))).label(
                Segment.CUSTOM_CLIENT
            ),
            flag(bought.c.occasion == 1).label(Segment.MILESTONE_BUYER),
            flag(
                and_(
                    bought.c.n.between(2, rules.new_repeat_max_purchases),
                    bought.c.last >= now - timedelta(days=rules.recent_days),
                )
            ).label(Segment.NEW_REPEAT_BUYER),
            flag(
                and_(
                    bought.c.last < now - timedelta(days=rules.dormant_days),
                    bought.c.spend >= rules.dormant_min_spend,
                )
            ).label(Segment.DORMANT_BUT_PROMISING),
        )
        .select_from(Member)
        .outerjoin(bought, bought.c.member_id == Member.id)
        .outerjoin(booked, booked.c.member_id == Member.id)
        .where(
            Member.erased_at.is_(None),
            or_(bought.c.member_id.is_not(None), booked.c.member_id.is_not(None)),
        )
        .subquery()
    )


def _bought(rules: Segments) -> Any:
    """Each member's kept purchases summed up: how many, spend, categories, the last, and
    whether one was custom or for an occasion."""
    custom = case((Purchase.category.in_(rules.custom_categories), 1), else_=0)
    occasion = case((Purchase.category.in_(rules.occasion_categories), 1), else_=0)
    wanted = rules.high_value_categories
    if wanted <= 2:
        # "two categories or more" is a first and a last that differ: one hash aggregate,
        # where count(DISTINCT) makes PostgreSQL sort the purchases (or walk them by index)
        kinds = case(
            (func.min(Purchase.category) != func.max(Purchase.category), 2),
            (func.count(Purchase.category) > 0, 1),
            else_=0,
        )
    else:
        kinds = func.count(distinct(Purchase.category))
    return (
        select(
            Purchase.member_id,
            func.count().label("n"),
            func.sum(Purchase.base_amount).label("spend"),
            kinds.label("kinds"),
            func.max(Purchase.purchased_at).label("last"),
            func.max(custom).label("custom"),
            func.max(occasion).label("occasion"),
        )
        .where(KEPT)
        .group_by(Purchase.member_id)
        .subquery()
    )
