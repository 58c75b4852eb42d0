"""At send time: consent now (news of a request until turned off), quiet hours in the
member's zone, the cap; replies always go."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from loyalty.consent import Channel, Purpose
from loyalty.occasions import QuietHours
from loyalty.sending import Cancel, Cap, Defer, Send, decide

ROME = ZoneInfo("Europe/Rome")
QUIET = QuietHours(time(21), time(9))
CAP = Cap(messages=2, days=7)
NOON = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Rome
AGREED = {(Purpose.BIRTHDAY, Channel.WHATSAPP): True}


def test_a_reply_goes_whatever_the_hour_or_consent() -> None:
    night = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    assert decide(None, Channel.WHATSAPP, {}, night, ROME, QUIET, CAP, []) == Send()


def test_consent_is_asked_again_when_sending() -> None:
    revoked = {(Purpose.BIRTHDAY, Channel.WHATSAPP): False}
    assert decide(Purpose.BIRTHDAY, Channel.WHATSAPP, revoked, NOON, ROME, QUIET, CAP, []) == (
        Cancel("no consent for birthday on whatsapp")
    )
    other_channel = {(Purpose.BIRTHDAY, Channel.TELEGRAM): True}
    assert isinstance(
        decide(Purpose.BIRTHDAY, Channel.WHATSAPP, other_channel, NOON, ROME, QUIET, CAP, []),
        Cancel,
    )
    assert decide(Purpose.BIRTHDAY, Channel.WHATSAPP, AGREED, NOON, ROME, QUIET, CAP, []) == Send()


def test_quiet_hours_defer_to_the_morning_in_the_members_zone() -> None:
    late = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 22:30 in Rome
    assert decide(Purpose.BIRTHDAY, Channel.WHATSAPP, AGREED, late, ROME, QUIET, CAP, []) == (
        Defer(datetime(2026, 11, 25, 9, 0, tzinfo=ROME), "quiet hours")
    )


def test_the_cap_defers_until_the_window_has_room_except_for_service() -> None:
    sent = [NOON - timedelta(days=6), NOON - timedelta(days=1)]
    decision = decide(Purpose.BIRTHDAY, Channel.WHATSAPP, AGREED, NOON, ROME, QUIET, CAP, sent)
    assert decision == Defer(NOON + timedelta(days=1, seconds=1), "frequency cap")
    assert decide(Purpose.SERVICE, Channel.WHATSAPP, {}, NOON, ROME, QUIET, CAP, sent) == Send()


def test_news_of_a_request_needs_no_yes_but_stops_once_turned_off() -> None:
    assert decide(Purpose.SERVICE, Channel.TELEGRAM, {}, NOON, ROME, QUIET, CAP, []) == Send()
    off = {(Purpose.SERVICE, Channel.TELEGRAM): False}
    assert decide(Purpose.SERVICE, Channel.TELEGRAM, off, NOON, ROME, QUIET, CAP, []) == (
        Cancel("no consent for service on telegram")
    )
    late = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # quiet hours still apply to it
    assert isinstance(decide(Purpose.SERVICE, Channel.TELEGRAM, {}, late, ROME, QUIET, CAP, []),
                      Defer)  # fmt: skip


ZONES = st.sampled_from(["Europe/Rome", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"])


@given(
    zone=ZONES.map(ZoneInfo),
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    purpose=st.sampled_from(list(Purpose)),
    channel=st.sampled_from(list(Channel)),
    granted=st.dictionaries(
        st.tuples(st.sampled_from(list(Purpose)), st.sampled_from(list(Channel))), st.booleans()
    ),
    sent_ago=st.lists(st.integers(min_value=0, max_value=14 * 24 * 60), max_size=6),
)
def test_nothing_goes_unless_allowed_nor_inside_quiet_hours(
    zone: ZoneInfo,
    now: datetime,
    purpose: Purpose,
    channel: Channel,
    granted: dict[tuple[Purpose, Channel], bool],
    sent_ago: list[int],
) -> None:
    sent = [now - timedelta(minutes=m) for m in sent_ago]
    decision = decide(purpose, channel, granted, now, zone, QUIET, CAP, sent)
    allowed = granted.get((purpose, channel), purpose is Purpose.SERVICE)  # marketing: a yes
    if not allowed:
        assert isinstance(decision, Cancel)
    elif isinstance(decision, Send):
        assert not QUIET.contains(now.astimezone(zone).time())
    else:
        assert isinstance(decision, Defer) and decision.until > now
        assert not QUIET.contains(decision.until.astimezone(zone).time())
