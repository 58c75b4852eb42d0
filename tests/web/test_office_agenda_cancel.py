"""Staff cancel one booking from the week (a client phoned, the piece is not ready), on a real
database: asked first, then cancelled through the chat's and closures' service, the member
told once in their language as a closure tells them, audited; an experience's points come
back once; a second cancellation, a started, missed or unknown booking change nothing."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from loyalty.booking import BOOKED
from services import appointments, office_agenda, outbox
from services.appointments import BookingError
from services.outgoing import Report, prepare
from tests.conftest import Clock
from tests.storage.test_experiences import ambassador, anna, balance, free, returns, take
from tests.web.test_office import browser, csrf, member_of_staff
from tests.web.test_office_agenda import audited, booked, sections, status_of

__all__ = ["browser"]
STAFF = "staff@aurelia.example"


async def news(concierge: Concierge) -> list[tuple[str, int | None, dict[str, str], str]]:
    """The outbox's rows: kind, member, variables and the words the member would read."""
    async with concierge.db.unit_of_work() as uow:
        rows = await outbox.latest(uow, 10, None)
        said = [
            await prepare(uow, concierge.program, r, concierge.clock(), Report()) for r in rows
        ]
    return [
        (r.kind, r.member_id, dict(r.variables), s.text.splitlines()[1] if s else "")
        for r, s in zip(rows, said, strict=True)
    ]


async def test_staff_cancel_a_booking_to_come_after_confirming_and_the_member_is_told_once(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    async with concierge.db.unit_of_work() as uow:  # Marc reads French
        row = await uow.appointments.get(made.marc)
        member = await uow.members.get(row.member_id) if row else None
        assert member is not None
        member.locale = "fr"
        await uow.commit()
    page = await browser.get("/office/appointments")
    for booking in (made.giulia, made.marc):
        assert f'action="/office/appointments/{booking}/cancel"' in page.text
    path = f"/office/appointments/{made.marc}/cancel"

    asked = await browser.post(path, data={"csrf": csrf(page), "week": "2026-11-23"})
    assert asked.status_code == 200
    question = asked.text.split('<section id="confirm">')[1].split("</section>")[0]
    assert "Cancel this appointment?" in question and "Marc Dubois" in question
    assert "Giulia" not in question and 'name="confirm" value="yes"' in question
    assert await status_of(concierge, made.marc) == BOOKED
    assert await news(concierge) == []
    assert (await audited(concierge))[0][1] == "signed-in"

    form = {"csrf": csrf(page), "week": "2026-11-23", "confirm": "yes", "reason": " Piece\nlate "}
    done = await browser.post(path, data=form)
    assert done.status_code == 200
    answer = done.text.split('<p role="status">')[1].split("</p>")[0]
    assert f"Appointment {made.marc} is cancelled: Ring resizing," in answer
    assert "Marc Dubois." in answer and "The member is told." in answer
    assert 'name="back" value="/office/appointments?week=2026-11-23"' in done.text
    assert await status_of(concierge, made.marc) == "cancelled"
    assert await status_of(concierge, made.giulia) == BOOKED
    week = sections(await browser.get("/office/appointments"))
    assert "· cancelled" in week[made.marc_with] and "/cancel" not in week[made.marc_with]
    assert f"/office/appointments/{made.giulia}/cancel" in week[made.giulia_with]
    [(kind, member_id, variables, words)] = await news(concierge)
    assert (kind, member_id) == (appointments.CLOSED, member.id)
    assert variables == {"appointment": str(made.marc), "by": "staff"}
    assert words.startswith("Veuillez noter que votre rendez-vous, Mise à taille, le mar. 24 nov.")
    assert words.endswith("est annulé. Pour choisir un autre moment, écrivez « rendez-vous ».")
    cancelled = f"appointment-cancelled {made.marc} Piece late"
    assert (await audited(concierge))[0] == (STAFF, cancelled)

    again = await browser.post(path, data=form)
    assert again.status_code == 409
    assert f"Appointment {made.marc} is already cancelled: nothing changed." in again.text
    assert len(await news(concierge)) == 1
    assert [action for _, action in await audited(concierge)][:2] == [cancelled, "signed-in"]


async def test_an_experience_cancelled_from_the_office_gives_its_points_back_once(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])
    assert await balance(concierge, member) == 500
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get("/office/appointments")
    form = {"csrf": csrf(page), "confirm": "yes"}
    path = f"/office/appointments/{voucher.appointment_id}/cancel"

    done = await browser.post(path, data=form)
    again = await browser.post(path, data=form)

    answer = done.text.split('<p role="status">')[1].split("</p>")[0]
    assert "2,500 points are back on their card." in answer
    # booked on Telegram, which this member never used: staff are asked to tell them
    assert "The member cannot be reached for this news: please tell them yourself." in answer
    assert again.status_code == 409 and "points are back" not in again.text
    assert await balance(concierge, member) == 3000 and await returns(concierge) == 1
    assert await news(concierge) == []


async def test_two_cancellations_at_once_cancel_tell_and_audit_once(
    concierge: Concierge,
) -> None:
    made = await booked(concierge)

    async def cancel() -> str:
        try:
            async with concierge.db.unit_of_work() as uow:
                await office_agenda.cancel(uow, STAFF, made.giulia, "", concierge.clock())
                await uow.commit()
        except BookingError as refused:
            return refused.code
        return "done"

    answered = await asyncio.gather(cancel(), cancel())

    assert sorted(answered) == ["cancelled", "done"]
    assert len(await news(concierge)) == 1
    assert await audited(concierge) == [(STAFF, f"appointment-cancelled {made.giulia}")]


@pytest.mark.parametrize("confirm", ["", "yes"])
async def test_a_started_or_missed_booking_is_refused_in_one_line_and_nothing_changes(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock, confirm: str
) -> None:
    made = await booked(concierge)
    clock.current = made.start + timedelta(minutes=5)
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get("/office/appointments")
    assert "/cancel" not in page.text  # nothing left to come this week
    await browser.post(f"/office/appointments/{made.marc}/no-show", data={"csrf": csrf(page)})
    form = {"csrf": csrf(page), "confirm": confirm}

    started = await browser.post(f"/office/appointments/{made.giulia}/cancel", data=form)
    missed = await browser.post(f"/office/appointments/{made.marc}/cancel", data=form)

    assert started.status_code == missed.status_code == 409
    assert (
        f"Appointment {made.giulia} has started: only a booking still to come can be cancelled. "
        "Nothing changed."
    ) in started.text
    assert f"Appointment {made.marc} is recorded as a no-show: nothing changed." in missed.text
    assert await status_of(concierge, made.giulia) == BOOKED
    assert await status_of(concierge, made.marc) == "no_show"
    assert await news(concierge) == []
    assert (await audited(concierge))[0][1] == f"appointment-no-show {made.marc}"


@pytest.mark.parametrize("booking", ["999", "2147483648", "-1"])
async def test_an_unknown_booking_is_refused_in_one_line_and_nothing_changes(
    concierge: Concierge, browser: httpx.AsyncClient, booking: str
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get("/office/appointments")
    for confirm in ("", "yes"):
        answer = await browser.post(
            f"/office/appointments/{booking}/cancel", data={"csrf": csrf(page), "confirm": confirm}
        )
        assert answer.status_code == 404
        assert f"There is no appointment {booking}: nothing changed." in answer.text
    assert await status_of(concierge, made.giulia) == BOOKED
    assert await news(concierge) == []
    assert (await audited(concierge))[0][1] == "signed-in"


async def test_a_reason_too_long_is_refused_and_nothing_changes(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get("/office/appointments")
    form = {"csrf": csrf(page), "confirm": "yes", "reason": "x" * 201}
    answer = await browser.post(f"/office/appointments/{made.giulia}/cancel", data=form)
    assert answer.status_code == 422
    assert "give a reason of at most 200 characters, on one line." in answer.text
    assert await status_of(concierge, made.giulia) == BOOKED
    assert await news(concierge) == []


async def test_the_question_and_answer_speak_the_language_chosen(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get("/office/appointments")
    form = {"csrf": csrf(page), "language": "it", "back": "/office/appointments"}
    await browser.post("/office/language", data=form)
    path = f"/office/appointments/{made.giulia}/cancel"
    asked = await browser.post(path, data={"csrf": csrf(page)})
    assert "Annullare questo appuntamento?" in asked.text and "Ridimensionamento" in asked.text
    done = await browser.post(path, data={"csrf": csrf(page), "confirm": "yes"})
    answer = html.unescape(done.text.split('<p role="status">')[1].split("</p>")[0])
    assert f"L'appuntamento {made.giulia} è annullato: Ridimensionamento anello" in answer
    assert "Il membro è avvisato." in answer


async def test_a_cancellation_without_its_csrf_token_is_refused_and_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    for token in ({}, {"csrf": "forged"}):
        refused = await browser.post(
            f"/office/appointments/{made.giulia}/cancel", data={"confirm": "yes", **token}
        )
        assert refused.status_code == 403
    assert await status_of(concierge, made.giulia) == BOOKED
    assert await news(concierge) == []
    assert (await audited(concierge))[0][1] == "signed-in"


async def test_a_members_page_offers_to_cancel_their_bookings_to_come(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, STAFF, "staff")
    page = await browser.get(f"/office/members/{made.giulia_number}")
    coming = page.text.split("Appointments to come")[1].split("</ul>")[0]
    assert f'action="/office/appointments/{made.giulia}/cancel"' in coming
    assert f"/office/appointments/{made.marc}/cancel" not in coming
    asked = await browser.post(f"/office/appointments/{made.giulia}/cancel", data={
        "csrf": csrf(page)
    })  # fmt: skip
    assert "Cancel this appointment?" in asked.text and "Giulia Rossi" in asked.text
    assert await status_of(concierge, made.giulia) == BOOKED
