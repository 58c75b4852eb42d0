"""Consent per purpose and channel: the latest change wins, and never asked means no."""

from __future__ import annotations

from loyalty.consent import Channel, ConsentChange, Purpose, current, restorable

from .factories import utc


def change(purpose: Purpose, channel: Channel, granted: bool, day: int) -> ConsentChange:
    return ConsentChange(purpose, channel, granted, utc(2025, 3, day), "telegram", "v1")


def test_latest_change_wins_whatever_the_order_given() -> None:
    granted = change(Purpose.BIRTHDAY, Channel.WHATSAPP, True, 1)
    revoked = change(Purpose.BIRTHDAY, Channel.WHATSAPP, False, 2)
    assert current([revoked, granted]) == {(Purpose.BIRTHDAY, Channel.WHATSAPP): False}
    assert current([granted, revoked]) == {(Purpose.BIRTHDAY, Channel.WHATSAPP): False}


def test_consent_given_again_after_a_stop_counts() -> None:
    changes = [
        change(Purpose.EVENTS, Channel.TELEGRAM, True, 1),
        change(Purpose.EVENTS, Channel.TELEGRAM, False, 2),
        change(Purpose.EVENTS, Channel.TELEGRAM, True, 3),
    ]
    assert current(changes) == {(Purpose.EVENTS, Channel.TELEGRAM): True}


def test_each_purpose_and_channel_stands_alone() -> None:
    changes = [
        change(Purpose.NEWS, Channel.WHATSAPP, True, 1),
        change(Purpose.NEWS, Channel.TELEGRAM, True, 1),
        change(Purpose.NEWS, Channel.TELEGRAM, False, 5),
        change(Purpose.SERVICE, Channel.WHATSAPP, False, 2),
    ]
    assert current(changes) == {
        (Purpose.NEWS, Channel.WHATSAPP): True,
        (Purpose.NEWS, Channel.TELEGRAM): False,
        (Purpose.SERVICE, Channel.WHATSAPP): False,
    }


def test_never_asked_is_absent() -> None:
    assert current([]) == {}
    state = current([change(Purpose.BIRTHDAY, Channel.TELEGRAM, True, 1)])
    assert (Purpose.ANNIVERSARY, Channel.TELEGRAM) not in state


def _at(purpose: Purpose, granted: bool, day: int, source: str = "chat:whatsapp") -> ConsentChange:
    return ConsentChange(purpose, Channel.WHATSAPP, granted, utc(2025, 3, day), source, "v1")


def test_start_gives_back_what_the_last_stop_took_and_is_still_off() -> None:
    changes = [
        _at(Purpose.BIRTHDAY, True, 1),
        _at(Purpose.NEWS, True, 1),
        _at(Purpose.EVENTS, False, 2),  # said no before: START does not say yes for them
        _at(Purpose.BIRTHDAY, False, 3, "chat:whatsapp:stop"),
        _at(Purpose.NEWS, False, 3, "chat:whatsapp:stop"),
        _at(Purpose.NEWS, True, 4),  # chosen again since
    ]
    assert restorable(changes, Channel.WHATSAPP) == [Purpose.BIRTHDAY]
    assert restorable(changes, Channel.TELEGRAM) == []


def test_start_looks_only_at_the_last_stop() -> None:
    changes = [
        _at(Purpose.BIRTHDAY, True, 1),
        _at(Purpose.BIRTHDAY, False, 2, "chat:whatsapp:stop"),
        _at(Purpose.EVENTS, True, 3),
        _at(Purpose.EVENTS, False, 4, "chat:whatsapp:stop"),
    ]
    assert restorable(changes, Channel.WHATSAPP) == [Purpose.EVENTS]


def test_a_stop_at_the_same_moment_as_the_grants_still_follows_them() -> None:
    changes = [
        _at(Purpose.BIRTHDAY, True, 1),
        _at(Purpose.SERVICE, True, 1),
        _at(Purpose.BIRTHDAY, False, 1, "chat:whatsapp:stop"),
        _at(Purpose.SERVICE, False, 1, "chat:whatsapp:stop"),
    ]
    assert restorable(changes, Channel.WHATSAPP) == [Purpose.BIRTHDAY, Purpose.SERVICE]


def test_without_a_stop_there_is_nothing_to_restore() -> None:
    assert restorable([_at(Purpose.BIRTHDAY, False, 1)], Channel.WHATSAPP) == []
