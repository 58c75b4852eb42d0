"""Segments from the jeweller's playbook, computed from recency, frequency, spend, categories."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from loyalty.badges import PurchaseFact
from loyalty.program import Program


class Segment(StrEnum):
    HIGH_VALUE_COLLECTOR = "high_value_collector"
    CUSTOM_CLIENT = "custom_client"
    MILESTONE_BUYER = "milestone_buyer"
    NEW_REPEAT_BUYER = "new_repeat_buyer"
    DORMANT_BUT_PROMISING = "dormant_but_promising"


def segments_for(
    facts: Sequence[PurchaseFact], now: datetime, program: Program, booked: Collection[str] = ()
) -> list[Segment]:
    """Every segment the member is in, most valuable first (so the first is the primary one).

    `booked`: the services the member has booked; a bespoke or resize booking ("custom" in
    the program) makes a custom client even before any purchase.
    """
    rules = program.segments
    paid = [f for f in facts if not f.refunded]
    custom_booking = any(program.services[k].custom for k in booked if k in program.services)
    if not paid:
        return [Segment.CUSTOM_CLIENT] if custom_booking else []
    spend = sum(f.spend for f in paid)
    categories = {f.category for f in paid if f.category}
    last = max(f.at for f in paid)
    recent = now - last <= timedelta(days=rules.recent_days)
    found = []
    if spend >= rules.high_value_spend and len(categories) >= rules.high_value_categories:
        found.append(Segment.HIGH_VALUE_COLLECTOR)
    if categories & set(rules.custom_categories) or custom_booking:
        found.append(Segment.CUSTOM_CLIENT)
    if categories & set(rules.occasion_categories):
        found.append(Segment.MILESTONE_BUYER)
    if 2 <= len(paid) <= rules.new_repeat_max_purchases and recent:
        found.append(Segment.NEW_REPEAT_BUYER)
    if now - last > timedelta(days=rules.dormant_days) and spend >= rules.dormant_min_spend:
        found.append(Segment.DORMANT_BUT_PROMISING)
    return found
