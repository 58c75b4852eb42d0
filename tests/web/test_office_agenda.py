"""The back office's Appointments pages over HTTP on a real database: the week by staff
member, no-shows, staff hours and closures (asking before they cancel a booking), each
change audited, bad input answered with nothing changed, and each security rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from loyalty.booking import BOOKED
from loyalty.hours import DAYS
from services import appointments, members, outbox, staff
from services.wording import staff_speaker
from tests.conftest import Clock
from tests.factories import OTHER_PHONE, PHONE
from tests.web.test_office import browser, csrf, member_of_staff

__all__ = ["browser"]
ANNA, MARCO = 6660001, 6660002  # Telegram ids


@dataclass(frozen=True)
class Booked:
    """Giulia's and Marc's bookings at the same time, with two staff members; their staff's
    names and the member numbers."""

    giulia: int
    marc: int
    start: datetime
    giulia_with: str
    marc_with: str
    giulia_number: str
    marc_number: str


async def booked(concierge: Concierge) -> Booked:
    """Anna and Marco work Tuesday to Saturday; Giulia and Marc book a resize at the first
    free time (the same for both: one of them with each)."""
    now, program = concierge.clock(), concierge.program
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(uow, program, now, PHONE, name="Giulia Rossi")
        marc = await members.add(uow, program, now, OTHER_PHONE, name="Marc Dubois")
        for telegram_id, name in ((ANNA, "Anna Bianchi"), (MARCO, "Marco Verdi")):
            person = await uow.staff.add(telegram_id, name, "concierge", now)
            for weekday in range(1, 6):
                await uow.schedules.set_hours(person.id, weekday, time(10), time(18))
        [slot, *_] = await appointments.slots(uow, program, "resize", now)
        first = await appointments.book(uow, program, giulia, "resize", slot.start, now)
        second = await appointments.book(uow, program, marc, "resize", slot.start, now)
        names = {person.id: person.name for person in await uow.staff.all()}
        await uow.commit()
    return Booked(
        first.id, second.id, slot.start, names[first.staff_id], names[second.staff_id],
        members.member_number(giulia.id), members.member_number(marc.id),
    )  # fmt: skip


def sections(page: httpx.Response) -> dict[str, str]:
    """The week page's sections by their heading (a staff member's name)."""
    heading = r'<section class="staff">\s*<h2>([^<]*)</h2>(.*?)</section>'
    return dict(re.findall(heading, page.text, re.S))


async def status_of(concierge: Concierge, booking: int) -> str:
    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(booking)
        assert row is not None
        return row.status


async def audited(concierge: Concierge) -> list[tuple[str, str]]:
    async with concierge.db.unit_of_work() as uow:
        return [(entry.email, entry.action) for entry in await uow.office.audit_log(20)]


ROUTES = [
    ("GET", "/office/appointments"),
    ("POST", "/office/appointments/1/no-show"),
    ("POST", "/office/appointments/1/cancel"),
    ("GET", "/office/appointments/hours"),
    ("POST", f"/office/appointments/hours/{ANNA}"),
    ("GET", "/office/appointments/closures"),
    ("POST", "/office/appointments/closures"),
    ("POST", "/office/appointments/closures/2026-12-25/remove"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_visitor_without_a_session_is_sent_to_sign_in(
    browser: httpx.AsyncClient, method: str, path: str
) -> None:
    page = await browser.get("/office/sign-in")
    form = {"csrf": csrf(page), "day": "2026-12-25"}
    response = await browser.request(method, path, data=form if method == "POST" else None)
    assert response.status_code == 303
    assert response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] == "POST"])
async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock, method: str, path: str
) -> None:
    made = await booked(concierge)
    clock.current = made.start + timedelta(minutes=5)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    form = {"day": "2026-12-25", "tue_start": "09:00", "tue_end": "12:00"}
    for token in ({}, {"csrf": "forged"}):
        response = await browser.request(method, path.replace("/1/", f"/{made.giulia}/"), data={
            **form, **token
        })  # fmt: skip
        assert response.status_code == 403
    assert await status_of(concierge, made.giulia) == BOOKED
    assert [action for _, action in await audited(concierge)] == ["signed-in", "password-set",
                                                                  "invited-staff"]  # fmt: skip


async def test_the_week_shows_each_staff_members_bookings_with_links_to_the_members(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    assert made.giulia_with != made.marc_with
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments")
    assert page.status_code == 200
    assert "Week of Nov 23, 2026 to Nov 29, 2026" in page.text
    shown = sections(page)
    assert sorted(shown) == ["Anna Bianchi", "Marco Verdi"]
    giulias, marcs = shown[made.giulia_with], shown[made.marc_with]
    assert f'<a href="/office/members/{made.giulia_number}">Giulia Rossi</a>' in giulias
    assert f'<a href="/office/members/{made.marc_number}">Marc Dubois</a>' in marcs
    assert "Marc" not in giulias and "Giulia" not in marcs
    at = staff_speaker(concierge.program).time(made.start)
    for section in (giulias, marcs):
        assert f"<strong>{at}</strong> · Ring resizing" in section
        assert "booked" in section and "Did not come" not in section  # not started yet
    assert PHONE not in page.text and OTHER_PHONE not in page.text
    assert '?week=2026-11-16">Previous week' in page.text
    assert '?week=2026-11-30">Next week' in page.text
    same = await browser.get("/office/appointments", params={"week": "2026-11-29"})
    assert sections(same) == shown
    after = sections(await browser.get("/office/appointments", params={"week": "2026-11-30"}))
    assert set(after.values()) == {"\n  \n  <p>No appointments this week.</p>\n  \n"}


async def test_bookings_of_a_staff_member_who_left_are_shown_for_anyone(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    gone = ANNA if made.giulia_with == "Anna Bianchi" else MARCO
    async with concierge.db.unit_of_work() as uow:
        await staff.remove(uow, gone, concierge.clock())
        await uow.commit()
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    shown = sections(await browser.get("/office/appointments"))
    assert made.giulia_with not in shown
    assert "Giulia Rossi" in shown["Anyone (no staff member now)"]


async def test_a_week_that_is_no_day_is_said_and_this_week_shown(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    for week in ("2026-13-40", "next", "2026-11-24'"):
        page = await browser.get("/office/appointments", params={"week": week})
        assert page.status_code == 422
        assert "is not a day written YYYY-MM-DD: this week is shown instead." in page.text
        assert "Giulia Rossi" in sections(page)[made.giulia_with]


async def test_staff_mark_a_started_booking_as_a_no_show_audited(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments", params={"week": "2026-11-25"})
    early = await browser.post(
        f"/office/appointments/{made.giulia}/no-show", data={"csrf": csrf(page), "week": "x"}
    )
    assert early.status_code == 409
    assert f"Appointment {made.giulia} has not started yet" in early.text
    assert await status_of(concierge, made.giulia) == BOOKED

    clock.current = made.start + timedelta(minutes=20)
    page = await browser.get("/office/appointments", params={"week": "2026-11-25"})
    assert f'action="/office/appointments/{made.giulia}/no-show"' in page.text
    form = {"csrf": csrf(page), "week": "2026-11-23"}
    done = await browser.post(f"/office/appointments/{made.giulia}/no-show", data=form)
    assert done.headers["location"] == "/office/appointments?week=2026-11-23"
    assert await status_of(concierge, made.giulia) == "no_show"
    assert await status_of(concierge, made.marc) == BOOKED
    after = sections(await browser.get(done.headers["location"]))
    assert "· no-show" in after[made.giulia_with] and "· booked" in after[made.marc_with]
    assert "Did not come" not in after[made.giulia_with]
    assert "Did not come" in after[made.marc_with]
    assert (await audited(concierge))[0] == (
        "staff@aurelia.example", f"appointment-no-show {made.giulia}"
    )  # fmt: skip
    again = await browser.post(f"/office/appointments/{made.giulia}/no-show", data=form)
    assert again.status_code == 404 and "nothing recorded" in again.text


@pytest.mark.parametrize("booking", ["999", "2147483648", "-1"])
async def test_no_show_of_an_unknown_booking_is_said_and_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient, booking: str
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments")
    answer = await browser.post(
        f"/office/appointments/{booking}/no-show", data={"csrf": csrf(page)}
    )
    assert answer.status_code == 404
    assert f"There is no booked appointment {booking}: nothing recorded." in answer.text
    assert await status_of(concierge, made.giulia) == BOOKED
    assert (await audited(concierge))[0][1] == "signed-in"


def week_form(page: httpx.Response, **days: tuple[str, str]) -> dict[str, str]:
    """The hours form of Anna's week, as shown, with `days` changed."""
    form = {"csrf": csrf(page)}
    for key in DAYS:
        working = ("10:00", "18:00") if key in DAYS[1:6] else ("", "")
        start, end = days.get(key, working)
        form |= {f"{key}_start": start, f"{key}_end": end}
    return form


async def hours_of(concierge: Concierge, telegram_id: int) -> list[tuple[int, time, time]]:
    async with concierge.db.unit_of_work() as uow:
        person = await staff.named(uow, str(telegram_id))
        return (await uow.schedules.hours([person.id]))[person.id]


async def test_staff_see_and_change_a_staff_members_hours_each_day_audited(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments/hours")
    assert page.status_code == 200
    anna = page.text.split('id="staff-6660001"')[1].split("</section>")[0]
    assert 'name="tue_start"' in anna and 'value="10:00"' in anna and 'value="18:00"' in anna
    assert "Tuesday" in anna and "Sunday" in anna
    form = week_form(page, tue=("09:00", "17:30"), sat=("", ""), mon=("11:00", "13:00"))
    done = await browser.post(f"/office/appointments/hours/{ANNA}", data=form)
    assert done.headers["location"] == "/office/appointments/hours"
    assert await hours_of(concierge, ANNA) == [
        (0, time(11), time(13)), (1, time(9), time(17, 30)), *[(d, time(10), time(18)) for d in
                                                              (2, 3, 4)],
    ]  # fmt: skip
    assert len(await hours_of(concierge, MARCO)) == 5
    assert [action for _, action in await audited(concierge)][:3] == [
        "hours-changed Anna Bianchi sat off",
        "hours-changed Anna Bianchi tue 09:00-17:30",
        "hours-changed Anna Bianchi mon 11:00-13:00",
    ]


@pytest.mark.parametrize(
    "tuesday", [("18:00", "10:00"), ("10:00", "10:00"), ("10:00", ""), ("", "18:00"),
                ("25:00", "26:00"), ("10:00-11:00, 12:00", "13:00"), ("ten", "six")],
)  # fmt: skip
async def test_hours_given_wrong_are_said_and_nothing_changes(
    concierge: Concierge, browser: httpx.AsyncClient, tuesday: tuple[str, str]
) -> None:
    await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    before = await hours_of(concierge, ANNA)
    page = await browser.get("/office/appointments/hours")
    form = week_form(page, tue=tuesday, wed=("09:00", "12:00"))
    answer = await browser.post(f"/office/appointments/hours/{ANNA}", data=form)
    assert answer.status_code == 422
    assert "Not changed: give both times of a day, the end after the start (Tuesday)." in (
        answer.text
    )
    assert await hours_of(concierge, ANNA) == before
    assert (await audited(concierge))[0][1] == "signed-in"


async def test_hours_of_no_one_of_the_staff_are_refused(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments/hours")
    answer = await browser.post("/office/appointments/hours/12345", data=week_form(page))
    assert answer.status_code == 404 and "No such member of staff" in answer.text


async def closures_shown(browser: httpx.AsyncClient) -> str:
    page = await browser.get("/office/appointments/closures")
    return page.text.split("<tbody>")[1].split("</tbody>")[0]


async def test_a_closure_over_a_booking_asks_first_then_cancels_it_and_tells_the_member(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    day = made.start.astimezone(concierge.program.club.zone).date().isoformat()
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments/closures")
    assert "No closures to come." in page.text
    asked = await browser.post(
        "/office/appointments/closures", data={"csrf": csrf(page), "day": day, "reason": "Stock"}
    )
    assert asked.status_code == 200
    question = asked.text.split('<section id="confirm">')[1].split("</section>")[0]
    assert "Close on Tuesday, November 24, 2026 and cancel these bookings?" in question
    assert "Giulia Rossi" in question and "Marc Dubois" in question
    assert f'name="booking" value="{made.giulia}"' in question
    assert await status_of(concierge, made.giulia) == BOOKED
    assert "No closures to come." in await closures_shown(browser)

    stale = {"csrf": csrf(page), "day": day, "reason": "Stock", "booking": [str(made.giulia)]}
    again = await browser.post("/office/appointments/closures", data=stale)
    assert '<section id="confirm">' in again.text  # Marc's booking was not confirmed
    assert await status_of(concierge, made.giulia) == BOOKED

    confirmed = {**stale, "booking": [str(made.giulia), str(made.marc)]}
    done = await browser.post("/office/appointments/closures", data=confirmed)
    assert done.headers["location"] == "/office/appointments/closures"
    assert await status_of(concierge, made.giulia) == "cancelled"
    assert await status_of(concierge, made.marc) == "cancelled"
    listed = await closures_shown(browser)
    assert "Tuesday, November 24, 2026" in listed and "Stock" in listed
    async with concierge.db.unit_of_work() as uow:
        kinds = [row.kind for row in await outbox.latest(uow, 10, None)]
    assert kinds == [appointments.CLOSED, appointments.CLOSED]
    actions = [action for _, action in await audited(concierge)]
    assert sorted(actions[:3]) == sorted([
        f"closure-added {day} Stock", f"appointment-cancelled {made.giulia}",
        f"appointment-cancelled {made.marc}",
    ])  # fmt: skip


async def test_a_closure_without_bookings_is_added_then_removed_audited(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments/closures")
    form = {"csrf": csrf(page), "day": "2026-12-25", "reason": "Christmas"}
    added = await browser.post("/office/appointments/closures", data=form)
    assert added.headers["location"] == "/office/appointments/closures"
    listed = await closures_shown(browser)
    assert "Friday, December 25, 2026" in listed and "Christmas" in listed
    removed = await browser.post(
        "/office/appointments/closures/2026-12-25/remove", data={"csrf": csrf(page)}
    )
    assert removed.headers["location"] == "/office/appointments/closures"
    assert "No closures to come." in await closures_shown(browser)
    assert [action for _, action in await audited(concierge)][:2] == [
        "closure-removed 2026-12-25", "closure-added 2026-12-25 Christmas",
    ]  # fmt: skip
    gone = await browser.post(
        "/office/appointments/closures/2026-12-25/remove", data={"csrf": csrf(page)}
    )
    assert gone.status_code == 404 and "The store is not closed on 2026-12-25" in gone.text


@pytest.mark.parametrize(
    ("day", "reason"),
    [("2026-11-23", "yesterday"), ("2026-13-40", ""), ("2026-12-25", "x" * 201),
     ("2026-12-25", "nul\x00"), ("", "")],
)  # fmt: skip
async def test_a_closure_given_wrong_is_said_and_nothing_changes(
    concierge: Concierge, browser: httpx.AsyncClient, day: str, reason: str
) -> None:
    await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments/closures")
    form = {"csrf": csrf(page), "day": day, "reason": reason}
    answer = await browser.post("/office/appointments/closures", data=form)
    assert answer.status_code == 422
    assert "Not closed: give a day from today on" in answer.text
    assert "No closures to come." in await closures_shown(browser)
    assert (await audited(concierge))[0][1] == "signed-in"


async def test_the_owners_audit_log_reads_the_appointments_changes(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    made = await booked(concierge)
    clock.current = made.start + timedelta(minutes=5)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get("/office/appointments")
    await browser.post(f"/office/appointments/{made.giulia}/no-show", data={"csrf": csrf(page)})
    form = {"csrf": csrf(page), "day": "2026-12-25", "reason": "Christmas"}
    await browser.post("/office/appointments/closures", data=form)
    await browser.post("/office/appointments/closures/2026-12-25/remove", data=form)
    log = await browser.get("/office/audit")
    for said in (f"no-show recorded {made.giulia}", "closure added 2026-12-25 Christmas",
                 "closure removed 2026-12-25"):  # fmt: skip
        assert said in log.text


async def test_the_pages_speak_the_staff_language_with_its_dates_and_days(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    club = concierge.program.club.model_copy(update={"staff_language": "fr"})
    concierge.program = concierge.program.model_copy(update={"club": club})
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    week = await browser.get("/office/appointments")
    assert "Semaine du 23 nov. 2026 au 29 nov. 2026" in week.text
    french = sections(week)[made.giulia_with]
    assert "mar. 24 nov." in french and "Mise à taille" in french and "· réservé" in french
    hours = await browser.get("/office/appointments/hours")
    assert "Enregistrer les horaires : Anna Bianchi" in hours.text and "mardi" in hours.text


async def test_the_language_a_browser_chose_reaches_the_dates_and_days_too(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    made = await booked(concierge)
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/appointments")
    assert "Week of Nov 23, 2026" in page.text  # the club's staff language: English
    form = {"csrf": csrf(page), "language": "fr", "back": "/office/appointments"}
    await browser.post("/office/language", data=form)
    week = await browser.get("/office/appointments")
    assert "Semaine du 23 nov. 2026 au 29 nov. 2026" in week.text
    assert "mar. 24 nov." in sections(week)[made.giulia_with]
