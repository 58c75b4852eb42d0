"""The rules of account news, without I/O: what is news, and its key (what makes it once)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from loyalty import account_news as rules
from loyalty import rewards
from loyalty.badges import Award
from loyalty.consent import Channel, Purpose
from loyalty.points import reversal
from loyalty.program import Program
from loyalty.sending import Cancel, Cap, Defer, Send, decide
from loyalty.tiers import TierState
from tests.unit.factories import earn, redeem, utc

NOW = utc(2026, 11, 24, 10)
ROME = ZoneInfo("Europe/Rome")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_day_of_purchases_is_one_piece_of_news_whatever_its_lines() -> None:
    bought = [NOW - timedelta(hours=h) for h in range(5)]
    [news] = rules.purchase_days(7, bought, NOW, ROME)
    assert (news.kind, news.key, news.variables) == (
        rules.EARNED, "points_earned:7:2026-11-24", {"day": "2026-11-24"},
    )  # fmt: skip


def test_the_day_is_the_members_own() -> None:
    """22:30 UTC is still the evening before in Rome, and already the morning in Tokyo."""
    evening, morning = utc(2026, 11, 23, 22, 30), utc(2026, 11, 24, 1)
    assert [n.key for n in rules.purchase_days(1, [evening, morning], NOW, ROME)] == [
        "points_earned:1:2026-11-23", "points_earned:1:2026-11-24",
    ]  # fmt: skip
    assert [n.key for n in rules.purchase_days(1, [evening, morning], NOW, TOKYO)] == [
        "points_earned:1:2026-11-24"
    ]


def test_purchases_older_than_a_few_days_are_history_not_news() -> None:
    old = NOW - rules.RECENT - timedelta(seconds=1)
    assert rules.purchase_days(1, [old, utc(2020, 1, 1)], NOW, ROME) == []
    assert not rules.active([old], NOW)
    assert rules.active([old, NOW - timedelta(hours=1)], NOW)
    assert not rules.active([NOW + timedelta(hours=1)], NOW)  # not yet


def test_the_days_points_are_what_its_sales_earned_less_what_was_refunded() -> None:
    entries = [
        earn("A", 300, utc(2026, 11, 24, 9)),
        earn("B", 120, utc(2026, 11, 24, 16)),
        earn("C", 999, utc(2026, 11, 23, 16)),
        redeem(50, utc(2026, 11, 24, 17)),
    ]
    assert rules.earned_on(entries, date(2026, 11, 24), ROME) == 420
    refund = reversal(entries, "B", NOW, 24)
    assert refund is not None
    assert rules.earned_on([*entries, refund], date(2026, 11, 24), ROME) == 300
    assert rules.earned_on(entries, date(2026, 11, 22), ROME) == 0


def test_a_tier_reached_is_news_only_upwards_lately_and_in_public(program: Program) -> None:
    gold = TierState("gold", NOW, NOW + timedelta(days=400))
    news = rules.tier_reached(3, "silver", gold, NOW, program)
    assert news is not None and news.key == "tier_reached:3:gold:2026-11-24"
    assert news.variables == {"tier": "gold"}
    assert rules.tier_reached(3, "platinum", gold, NOW, program) is None  # down: no news
    assert rules.tier_reached(3, "gold", gold, NOW, program) is None
    old = TierState("gold", NOW - timedelta(days=30), None)
    assert rules.tier_reached(3, "silver", old, NOW, program) is None
    invited = TierState("ambassador", NOW, None, invited=True)
    assert rules.tier_reached(3, "gold", invited, NOW, program) is None


def test_badges_earned_lately_are_news_each_once() -> None:
    awards = [Award("first_purchase", NOW), Award("anniversary", NOW - timedelta(days=10))]
    assert [(n.key, n.variables) for n in rules.badges_earned(4, awards, NOW)] == [
        ("badge_earned:4:first_purchase", {"badge": "first_purchase"})
    ]


def test_points_expiring_within_30_days_are_news_once_per_expiry() -> None:
    entries = [
        earn("A", 300, utc(2024, 12, 10)),  # expires 2026-12-10: in 16 days
        earn("B", 200, utc(2024, 12, 10)),  # the same moment: told together
        earn("C", 100, utc(2025, 1, 20)),  # 2027-01-20: beyond 30 days
        redeem(120, utc(2025, 6, 1)),  # spends the oldest first
    ]
    [news] = rules.expiring(5, entries, NOW, 24)
    expires = utc(2026, 12, 10)
    assert news.key == f"points_expiring:5:{expires.isoformat()}"
    assert rules.expiring_on(entries, expires, NOW, 24) == 380
    later = NOW + timedelta(days=10)
    assert [n.key for n in rules.expiring(5, entries, later, 24)] == [news.key]  # same key
    assert rules.expiring(5, entries, NOW, None) == []  # points that never expire
    spent = [*entries, redeem(380, utc(2026, 11, 30), key="r2")]
    assert rules.expiring_on(spent, expires, utc(2026, 12, 1), 24) == 0


def test_news_keys_stay_apart_per_member() -> None:
    a = rules.purchase_days(1, [NOW], NOW, UTC)
    b = rules.purchase_days(11, [NOW], NOW, UTC)
    assert a[0].key != b[0].key


def test_account_news_waits_out_quiet_hours_and_the_cap_and_needs_its_yes(
    program: Program,
) -> None:
    settings = program.occasions
    cap = Cap(settings.cap_messages, settings.cap_days)
    yes = {(Purpose.ACCOUNT, Channel.TELEGRAM): True}
    night = utc(2026, 11, 24, 22)  # 23:00 in Rome
    waits = decide(Purpose.ACCOUNT, Channel.TELEGRAM, yes, night, ROME, settings.quiet, cap, [])
    assert isinstance(waits, Defer) and waits.reason == "quiet hours"
    full = [NOW - timedelta(hours=h) for h in range(1, settings.cap_messages + 1)]
    capped = decide(Purpose.ACCOUNT, Channel.TELEGRAM, yes, NOW, ROME, settings.quiet, cap, full)
    assert isinstance(capped, Defer) and capped.reason == "frequency cap"
    sent = decide(Purpose.ACCOUNT, Channel.TELEGRAM, yes, NOW, ROME, settings.quiet, cap, [])
    assert isinstance(sent, Send)
    elsewhere = decide(Purpose.ACCOUNT, Channel.WHATSAPP, yes, NOW, ROME, settings.quiet, cap, [])
    assert isinstance(elsewhere, Cancel)


def _reach(program: Program, tier: str, before: int, after: int, **more: object) -> list[str]:
    out = more.get("out", {})
    taken = more.get("taken", {})
    assert isinstance(out, dict) and isinstance(taken, dict)
    offers = rewards.offers(program.rewards, tier, set(), after, out)
    return [news.key for news in rules.within_reach(7, offers, before, taken)]


def test_a_reward_is_news_when_the_points_come_to_cover_it_and_not_before(
    program: Program,
) -> None:
    assert _reach(program, "silver", 100, 320) == ["reach:7:cleaning:0", "reach:7:care_kit:0"]
    assert _reach(program, "silver", 200, 320) == ["reach:7:care_kit:0"]  # cleaning was covered
    assert _reach(program, "silver", 320, 400) == []  # nothing new covered
    assert _reach(program, "silver", 100, 140) == []  # still short


def test_a_dip_and_a_rise_keep_the_key_and_taking_one_makes_a_new_one(
    program: Program,
) -> None:
    first = _reach(program, "silver", 290, 310)
    assert _reach(program, "silver", 200, 310) == first  # told once: the outbox holds the key
    assert _reach(program, "silver", 290, 310, taken={"care_kit": 1}) == ["reach:7:care_kit:1"]


def test_hidden_tiers_stay_hidden_and_none_left_is_no_news(program: Program) -> None:
    assert "reach:7:private_viewing:0" not in _reach(program, "gold", 0, 3000)
    assert "reach:7:private_viewing:0" in _reach(program, "ambassador", 0, 3000)
    assert _reach(program, "silver", 200, 320, out={"care_kit": 25}) == []


def test_when_it_goes_only_what_is_still_within_reach_is_said(program: Program) -> None:
    offers = rewards.offers(program.rewards, "silver", set(), 200, {"cleaning": 0})
    still = rules.still_within_reach(["care_kit", "cleaning", "cleaning", "gone"], offers)
    assert [offer.key for offer in still] == ["cleaning"]  # care kit: spent since; no "gone"
