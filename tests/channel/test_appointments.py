"""Appointments in the chat: a day then a time, or both in words (English, French), the
nearest free times, a note and a photo, "just taken", a new time confirmed, cancel, another
time zone, staff told in their group; the calendar files on both channels."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from services import appointments, members
from storage.models import Appointment
from tests.calendars import strict
from tests.channel.conftest import ApiCall, Desk, sender
from tests.conftest import Clock
from tests.factories import (
    OTHER_PHONE,
    PHONE,
    STAFF_CHAT_ID,
    TELEGRAM_USER_ID,
    callback_update,
    message_update,
    photo_sizes,
    telegram_user,
    whatsapp_form,
)

ME = str(TELEGRAM_USER_ID)
LUCA = telegram_user(5_550_002, "Luca")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # Monday morning


def said(calls: list[ApiCall]) -> list[ApiCall]:
    return [c for c in calls if c.method.startswith("send") and c.chat_id != str(STAFF_CHAT_ID)]


async def setting_up(concierge: Concierge) -> None:
    """Anna works Tuesday to Saturday 10–18; Giulia (Rome) and Luca (New York) are members."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        anna = await uow.staff.add(6660001, "Anna Bianchi", "concierge", now)
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        giulia = await members.add(uow, concierge.program, now, PHONE, name="Giulia Rossi",
                                   locale="en")  # fmt: skip
        await uow.identities.link(giulia.id, "telegram", ME, "en", now)
        luca = await members.add(uow, concierge.program, now, "+12125550123", name="Luca Verdi",
                                 locale="en", timezone="America/New_York")  # fmt: skip
        await uow.identities.link(luca.id, "telegram", str(LUCA["id"]), "en", now)
        await uow.commit()


async def test_a_member_books_with_a_note_and_a_photo_and_staff_are_told(desk: Desk) -> None:
    await setting_up(desk.concierge)
    [services] = said(await desk.telegram.send(callback_update("appts")))
    assert services.buttons[:3] == [
        ("Book: Design consultation", "svc:design_consultation"),
        ("Book: Ring resizing", "svc:resize"), ("Book: Stone matching", "svc:stone_matching"),
    ]  # fmt: skip
    assert "svc:private_viewing" not in [b[1] for b in services.buttons]  # top tiers only

    [days] = said(await desk.telegram.send(callback_update("svc:resize")))
    assert [b[0] for b in days.buttons] == [  # closed on Sunday and Monday
        "Tue, Nov 24", "Wed, Nov 25", "Thu, Nov 26", "Fri, Nov 27", "Sat, Nov 28", "Tue, Dec 1",
        "Later days", "Menu",
    ]  # fmt: skip
    [times] = said(await desk.telegram.send(callback_update(days.buttons[4][1])))
    assert times.text == "Free times on Sat, Nov 28 (your time):"
    labels = [b[0].replace("\u202f", " ") for b in times.buttons]
    assert labels[:6] == ["10:00 AM", "10:30 AM", "11:00 AM", "11:30 AM", "12:00 PM", "2:00 PM"]
    assert labels[-2:] == ["Another day", "Menu"]  # 12:30 would run into the lunch closing
    assert len(times.markup["inline_keyboard"][0]) == 3  # side by side  # type: ignore[index]
    first = times.buttons[0]
    await desk.telegram.send(callback_update(first[1]))
    await desk.telegram.send(message_update(user=telegram_user(), photo=photo_sizes("ring"),
                                            caption="size 52, the gold band"))  # fmt: skip
    calls = said(await desk.telegram.send(callback_update("confirm")))

    when = "Sat, Nov 28 at 10:00\u202fAM"
    assert calls[0].text.startswith(f"Booked: Ring resizing, {when}.")
    assert [c.method for c in calls][:2] == ["sendMessage", "sendDocument"]
    assert b"SUMMARY:Ring resizing" in calls[1].files["document"]
    [post] = desk.api.posts()
    assert post.method == "sendPhoto" and post.params["photo"] == "AgACAgQring1280"
    assert post.params["caption"].startswith(f"New booking: Ring resizing · {when}")
    assert "Giulia Rossi (M00001) · Anna Bianchi" in post.params["caption"]
    assert "Note: size 52, the gold band" in post.params["caption"]
    async with desk.concierge.db.unit_of_work() as uow:
        [booking] = list(await uow.session.scalars(select(Appointment)))
    assert (booking.note, booking.photo) == ("size 52, the gold band", "tg:AgACAgQring1280")

    [overview] = said(await desk.telegram.send(callback_update("appts")))
    assert overview.buttons[:3] == [  # the booking and the service to book, told apart
        (f"{when} · Ring resizing", f"apt:{booking.id}"),
        ("Book: Design consultation", "svc:design_consultation"),
        ("Book: Ring resizing", "svc:resize"),
    ]


async def choose(desk: Desk, user: dict[str, object], service: str = "resize") -> str:
    """The member picks the first free time of the first day, without a note; its label."""
    [days] = said(await desk.telegram.send(callback_update(f"svc:{service}", user=user)))
    [times] = said(await desk.telegram.send(callback_update(days.buttons[0][1], user=user)))
    label, action = times.buttons[0]
    await desk.telegram.send(callback_update(action, user=user))
    await desk.telegram.send(callback_update("note:skip", user=user))
    return f"{days.buttons[0][0]} at {label}"


async def test_a_time_taken_meanwhile_is_said_with_the_next_free_ones(desk: Desk) -> None:
    await setting_up(desk.concierge)
    await choose(desk, telegram_user())
    await choose(desk, LUCA)  # Luca chose the same moment (shown at 4:00 AM, his time)
    await desk.telegram.send(callback_update("confirm"))

    [taken] = said(await desk.telegram.send(callback_update("confirm", user=LUCA)))

    assert taken.text == "That time was just taken. Here are the next free times:"
    assert taken.buttons[0][0] == "Tue, Nov 24 at 5:00\u202fAM"  # 11:00 Rome: 10:00-10:40 taken
    async with desk.concierge.db.unit_of_work() as uow:
        assert len(list(await uow.session.scalars(select(Appointment)))) == 1


async def test_a_new_time_is_confirmed_never_the_current_one_and_cancelling_frees_it(
    desk: Desk,
) -> None:
    await setting_up(desk.concierge)
    await choose(desk, telegram_user())
    await desk.telegram.send(message_update("after all: size 50"))  # a note after "No note"
    await desk.telegram.send(callback_update("confirm"))
    async with desk.concierge.db.unit_of_work() as uow:
        [booking] = list(await uow.session.scalars(select(Appointment)))
    assert booking.note == "after all: size 50"
    assert [c.method for c in desk.api.calls].count("sendDocument") == 1

    [mine] = said(await desk.telegram.send(callback_update(f"apt:{booking.id}")))
    assert [b[1] for b in mine.buttons][:2] == [f"mv:{booking.id}", f"cx:{booking.id}"]
    [days] = said(await desk.telegram.send(callback_update(f"mv:{booking.id}")))
    assert days.text.startswith("Your appointment is on Tue, Nov 24 at 10:00\u202fAM.")
    assert days.buttons[0] == ("Tue, Nov 24", f"mvd:{booking.id}:2026-11-24")
    [times] = said(await desk.telegram.send(callback_update(days.buttons[0][1])))
    assert times.buttons[0][0] == "10:30\u202fAM"  # its own time is never offered
    [same] = said(await desk.telegram.send(message_update("tomorrow at 10am")))
    assert same.text.startswith("That is already your appointment's time.")
    assert "10:00" not in " ".join(b[0] for b in same.buttons)
    [words] = said(await desk.telegram.send(message_update("Wednesday at 3pm")))
    assert words.text.endswith("to Wed, Nov 25 at 3:00\u202fPM?")  # asked, not moved

    [asked] = said(await desk.telegram.send(callback_update(times.buttons[1][1])))
    assert asked.text == (
        "Move your Ring resizing from Tue, Nov 24 at 10:00\u202fAM to Tue, Nov 24 at "
        "11:00\u202fAM?"
    )
    assert [b[0] for b in asked.buttons] == [
        "Yes, move it", "Another time", "Keep the current time", "Menu",
    ]  # fmt: skip
    async with desk.concierge.db.unit_of_work() as uow:  # nothing moved before the yes
        assert (await uow.appointments.get(booking.id)).starts_at == booking.starts_at  # type: ignore[union-attr]
    moved = said(await desk.telegram.send(callback_update(asked.buttons[0][1])))
    assert moved[0].text.startswith("Booked: Ring resizing, Tue, Nov 24 at 11:00\u202fAM.")
    assert [(c.method, c.sequence) for c in desk.api.calendars] == [
        ("PUBLISH", 0), ("PUBLISH", 1),
    ]  # fmt: skip
    cancelled = said(await desk.telegram.send(callback_update(f"cx:{booking.id}")))
    assert cancelled[0].text.startswith("Your appointment is cancelled.")
    stale = said(await desk.telegram.send(callback_update(f"cx:{booking.id}")))
    assert stale[0].text.startswith("This appointment is no longer booked.")

    [first, _, gone] = desk.api.calendars
    assert (gone.method, gone.status, gone.sequence, gone.uid) == (
        "CANCEL", "CANCELLED", 2, first.uid,
    )  # fmt: skip
    async with desk.concierge.db.unit_of_work() as uow:
        rows = [(r.id, r.status) for r in await uow.session.scalars(select(Appointment))]
    assert rows == [(booking.id, "cancelled")]
    headings = [c.text.split(":")[0] for c in desk.api.posts()]
    assert headings == ["New booking", "Booking moved", "Booking cancelled"]


async def test_on_whatsapp_days_and_times_are_numbered_and_the_calendar_is_a_link(
    desk: Desk,
) -> None:
    await setting_up(desk.concierge)
    await desk.whatsapp.send(whatsapp_form("appointment"))
    await desk.whatsapp.send(whatsapp_form("Ring resizing"))
    [times] = await desk.whatsapp.send(whatsapp_form("5"))  # the fifth day: Saturday
    assert times.body.splitlines()[:2] == [
        "Free times on Sat, Nov 28 (your time):",
        "1. 10:00\u202fAM",
    ]
    await desk.whatsapp.send(whatsapp_form("2"))  # 10:30
    await desk.whatsapp.send(whatsapp_form("my grandmother's ring, size 50"))

    sent = await desk.whatsapp.send(whatsapp_form("Confirm"))

    [link] = [line.split(": ", 1)[1] for line in sent[0].body.splitlines()
              if line.startswith("Add it to your calendar")]  # fmt: skip
    calendar = await desk.whatsapp.fetch(link)  # read as a strict client would
    assert "SUMMARY:Ring resizing · Maison Aurelia" in calendar.text
    assert "DTSTART:20261128T093000Z" in calendar.text

    await desk.whatsapp.send(whatsapp_form("appointment"))
    await desk.whatsapp.send(whatsapp_form("1"))  # the booking, listed first
    [gone] = await desk.whatsapp.send(whatsapp_form("Cancel it"))
    [link] = [line.split(": ", 1)[1] for line in gone.body.splitlines()
              if line.startswith("Take it out of your calendar")]  # fmt: skip
    cancelled = strict((await desk.whatsapp.fetch(link)).content)
    assert (cancelled.method, cancelled.sequence) == ("CANCEL", 1)


async def test_a_reminder_waits_for_the_members_morning_and_speaks_their_time(
    desk: Desk, clock: Clock
) -> None:
    await setting_up(desk.concierge)  # Luca never said yes to anything: he asked for this
    await choose(desk, LUCA)
    await desk.telegram.send(callback_update("confirm", user=LUCA))
    clock.current = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # a day before, next round
    sending = sender(desk.concierge, desk.telegram.app.state.telegram)
    async with desk.concierge.db.unit_of_work() as uow:
        assert await appointments.reminders(uow, desk.concierge.program, clock()) == 1
        await uow.commit()

    before = len(desk.api.to(str(LUCA["id"])))
    assert (await sending.drain()).deferred == 1  # 04:05 in New York: the quiet hours
    assert len(desk.api.to(str(LUCA["id"]))) == before
    clock.current = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)  # 09:05 there
    await sending.drain()

    told = desk.api.to(str(LUCA["id"]))[-1].text
    assert "A reminder of your appointment: Ring resizing, Tue, Nov 24 at 4:00\u202fAM." in told


async def booked_at(desk: Desk) -> list[datetime]:
    async with desk.concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(Appointment).order_by(Appointment.id))
        return [row.starts_at for row in rows]


async def test_a_day_and_time_written_in_words_is_booked_and_never_taken_as_the_note(
    desk: Desk,
) -> None:
    await setting_up(desk.concierge)
    await desk.telegram.send(callback_update("svc:resize"))

    [asked] = said(await desk.telegram.send(message_update("Wednesday at 3pm")))
    assert asked.text.startswith("Ring resizing, Wed, Nov 25 at 3:00\u202fPM (your time).")
    [again] = said(await desk.telegram.send(message_update("Thursday at 11am")))  # not a note
    assert again.text.startswith("Ring resizing, Thu, Nov 26 at 11:00\u202fAM (your time).")
    [summary] = said(await desk.telegram.send(message_update("size 52, the gold band")))
    assert summary.text.endswith("Your note: size 52, the gold band")
    await desk.telegram.send(callback_update("confirm"))

    assert await booked_at(desk) == [datetime(2026, 11, 26, 10, 0, tzinfo=UTC)]  # 11:00 Rome


async def test_a_time_that_is_not_free_is_answered_with_the_nearest_free_ones(
    desk: Desk,
) -> None:
    await setting_up(desk.concierge)
    [days] = said(await desk.telegram.send(callback_update("svc:resize")))
    await desk.telegram.send(callback_update(days.buttons[4][1]))  # Saturday's times

    [nearest] = said(await desk.telegram.send(message_update("1:30pm")))  # that day, at lunch

    assert nearest.text == "Sat, Nov 28 at 1:30\u202fPM is not free. The nearest free times:"
    assert [b[0].split(" at ")[1] for b in nearest.buttons[:4]] == [
        "12:00\u202fPM", "2:00\u202fPM", "2:30\u202fPM", "3:00\u202fPM",
    ]  # fmt: skip
    [sunday] = said(await desk.telegram.send(message_update("Sunday")))
    assert sunday.text.startswith("There is no free time on Sun, Nov 29.")
    words = said(await desk.telegram.send(message_update("card")))  # no day: the card
    assert words[0].text.startswith("Maison Aurelia")


async def test_words_in_french_on_whatsapp_book_the_time_they_name(desk: Desk) -> None:
    await setting_up(desk.concierge)
    async with desk.concierge.db.unit_of_work() as uow:
        await members.add(uow, desk.concierge.program, desk.concierge.clock(), OTHER_PHONE,
                          name="Claire Martin", locale="fr")  # fmt: skip
        await uow.commit()
    await desk.whatsapp.send(whatsapp_form("rendez-vous", phone=OTHER_PHONE))
    [days] = await desk.whatsapp.send(whatsapp_form("Mise à taille", phone=OTHER_PHONE))
    assert "« mercredi à 15h »" in days.body

    [asked] = await desk.whatsapp.send(whatsapp_form("mercredi 15h", phone=OTHER_PHONE))
    assert asked.body.startswith("Mise à taille, le mer. 25 nov. à 15:00 (selon votre fuseau")
    await desk.whatsapp.send(whatsapp_form("1", phone=OTHER_PHONE))  # 1. Sans note
    await desk.whatsapp.send(whatsapp_form("1", phone=OTHER_PHONE))  # 1. Confirmer

    assert await booked_at(desk) == [datetime(2026, 11, 25, 14, 0, tzinfo=UTC)]
