"""The words of what the club sends on its own, as the chat and the dispatcher both say them."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from loyalty.program import Program
from services.appointments import CLOSED
from services.appointments import REMINDER as APPOINTMENT_REMINDER
from services.events import EVENT_CANCELLED, EVENT_MOVED, INVITATION
from services.wording import booking_news, greeting, notice, service_name, speaker_for
from storage.models import Appointment, Event, Member
from tests.unit.factories import utc


@pytest.fixture(scope="module")
def demo(variant: Callable[..., Program]) -> Program:
    return variant()


def test_a_member_is_spoken_to_in_their_language_and_zone_else_the_clubs(demo: Program) -> None:
    own = speaker_for("fr", "America/New_York", demo)
    default = speaker_for(None, None, demo)

    assert (own.language, own.zone) == ("fr", ZoneInfo("America/New_York"))
    assert (default.language, default.zone) == ("en", ZoneInfo("Europe/Rome"))


def test_a_birthday_greets_by_first_name_with_the_gift_in_the_members_language(
    demo: Program,
) -> None:
    said = greeting(
        "birthday", None, "Giulia", "Gold", 250, "Maison", speaker_for("fr", None, demo)
    )

    assert said.text == (
        "Joyeux anniversaire, Giulia\xa0!\n"
        "Toute l'équipe de Maison vous adresse ses vœux les plus chaleureux.\n"
        "Au titre de votre statut Gold, 250 points ont été crédités sur votre carte."
    )
    assert said.template == "birthday"
    assert said.variables == {"first_name": "Giulia", "club": "Maison", "tier": "Gold",
                              "points": "250"}  # fmt: skip


def test_an_anniversary_without_a_name_says_dear_member_and_counts_the_years(
    demo: Program,
) -> None:
    said = greeting("wedding", 5, "", "Gold", 0, "Maison", speaker_for("en", None, demo))

    assert said.text == (
        "Dear member,\nToday is your wedding anniversary: 5 years.\n"
        "Thank you for sharing it with Maison, as one of our Gold members."
    )
    assert (said.template, said.variables["occasion"]) == (
        "anniversary",
        "your wedding anniversary",
    )


def test_event_notices_and_reminders_are_signed_by_the_club_in_the_members_zone(
    demo: Program,
) -> None:
    member = Member(name="Giulia Rossi")
    speaker = speaker_for("en", "America/New_York", demo)
    show = Event(title="Trunk show", starts_at=utc(2025, 11, 25, 18))
    booking = Appointment(service="resize", starts_at=utc(2025, 11, 25, 9))

    invited = notice(INVITATION, show, member, speaker, "Maison")
    cancelled = notice(EVENT_CANCELLED, show, member, speaker, "Maison")
    reminded = booking_news(APPOINTMENT_REMINDER, booking, member, speaker, demo)

    assert invited.text == (
        "Dear Giulia,\nSelected for you: Trunk show, Tue, Nov 25 at 1:00\u202fPM. "
        'Write "previews" to answer; seats are few.\nMaison'
    )
    assert cancelled.text.splitlines()[1] == (
        "We are sorry: Trunk show, Tue, Nov 25 at 1:00\u202fPM, is cancelled. "
        "We hope to see you soon."
    )
    assert reminded.text == (
        "Dear Giulia,\nA reminder of your appointment: Ring resizing, Tue, Nov 25 at "
        '4:00\u202fAM. To change it, write "appointment".\nMaison Aurelia'
    )
    assert [g.template for g in (invited, cancelled, reminded)] == [
        INVITATION, EVENT_CANCELLED, APPOINTMENT_REMINDER,
    ]  # fmt: skip


def test_a_moved_event_gives_its_new_time_and_end_and_its_place_only_when_it_has_one(
    demo: Program,
) -> None:
    late = Event(title="Trunk show", starts_at=utc(2025, 11, 25, 20),
                 ends_at=utc(2025, 11, 25, 23, 30), place="")  # fmt: skip  # past midnight
    marco, speaker = Member(name="Marco Bianchi"), speaker_for("it", None, demo)
    moved = notice(EVENT_MOVED, late, marco, speaker, "Maison")

    assert moved.text.splitlines()[1] == (
        "La informiamo di una modifica a Trunk show: si terrà ora mar 25 nov alle 21:00 "
        "(termine: mer 26 nov alle 00:30). La Sua risposta resta valida; per cambiarla, "
        "scriva «anteprime»."
    )
    assert (moved.template, moved.variables["end"], moved.variables["place"]) == (
        EVENT_MOVED, "mer 26 nov alle 00:30", "",
    )  # fmt: skip


def test_a_service_the_program_no_longer_has_is_named_by_its_key(demo: Program) -> None:
    speaker = speaker_for("it", None, demo)

    assert service_name(demo, "resize", speaker) == "Ridimensionamento anello"
    assert service_name(demo, "engraving", speaker) == "engraving"


def test_a_booking_the_club_cancelled_is_told_in_the_members_language_and_zone(
    demo: Program,
) -> None:
    booking = Appointment(service="resize", starts_at=utc(2025, 11, 25, 9))
    marco, speaker = Member(name="Marco Bianchi"), speaker_for("it", None, demo)
    told = booking_news(CLOSED, booking, marco, speaker, demo)

    assert told.text == (
        "Gentile Marco,\nSiamo spiacenti: il negozio sarà chiuso il giorno del Suo "
        "appuntamento, Ridimensionamento anello, mar 25 nov alle 10:00, che è quindi "
        "annullato. Per scegliere un altro orario, scriva «appuntamento».\nMaison Aurelia"
    )
    assert (told.template, told.variables["service"]) == (CLOSED, "Ridimensionamento anello")
