"""Consent per purpose and channel: the latest change wins, and never asked means no."""

from __future__ import annotations

from loyalty.consent import Channel, ConsentChange, Purpose, current

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
