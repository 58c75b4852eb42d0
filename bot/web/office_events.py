"""The back office's Events pages (issue 19): the list, an event's page (its guest list with
answers and waitlist, CSV, the report), creating and editing, inviting and cancelling, and
the door's check-in. Staff and owners alike; every change is audited by the service.

A problem is answered on the page in one line, by the EventError's code, with nothing
changed; an address that names no event is a 404 page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from babel.numbers import format_percent
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.office import Checked, Signed, _render, office_speaker
from bot.web.state import App
from handlers.card import segment_name
from loyalty.dates import OutOfRange, moment_in
from loyalty.events import KINDS
from loyalty.ids import INT2_MAX, INT4_MAX, parse_id
from loyalty.reach import NO_CONSENT
from loyalty.records import Event
from loyalty.segments import Segment
from services import hosting, members, office_events
from services.events import EventError
from services.office import Who

router = APIRouter(prefix="/office/events")
LOCAL = "%Y-%m-%dT%H:%M"  # what a datetime-local field reads and writes


@dataclass
class Draft:
    """An event's form as typed (kept as text to show it again with its problem)."""

    title: str = ""
    kind: str = KINDS[0]
    starts: str = ""
    ends: str = ""
    deadline: str = ""
    capacity: str = ""
    plus_ones: str = "0"
    place: str = ""
    description: str = ""
    guests: str = ""
    tiers: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)


async def _draft(
    title: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "", ends: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form()] = "", capacity: Annotated[str, Form()] = "",
    plus_ones: Annotated[str, Form()] = "0", place: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "", guests: Annotated[str, Form()] = "",
    tiers: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    segments: Annotated[list[str], Form()] = [],  # noqa: B006
    badges: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Draft:  # fmt: skip
    return Draft(
        title, kind, starts, ends, deadline, capacity, plus_ones, place, description, guests,
        tiers, segments, badges,
    )  # fmt: skip


Drafted = Annotated[Draft, Depends(_draft)]


def _drafted(event: Event, guests: list[str], app: App) -> Draft:
    """The form of an event as it stands, to edit."""
    zone = app.program.club.zone
    return Draft(
        event.title, event.kind, event.starts_at.astimezone(zone).strftime(LOCAL),
        event.ends_at.astimezone(zone).strftime(LOCAL),
        event.deadline.astimezone(zone).strftime(LOCAL) if event.deadline else "",
        str(event.capacity), str(event.plus_ones), event.place, event.description,
        " ".join(guests), list(event.tiers), list(event.segments), list(event.badges),
    )  # fmt: skip


def _given(draft: Draft, app: App) -> dict[str, Any]:
    """The draft as `events.create` takes it; EventError (by code) for what cannot be read."""
    capacity = parse_id(draft.capacity.strip(), INT4_MAX, low=1)
    plus_ones = parse_id(draft.plus_ones.strip() or "0", INT2_MAX, low=0)
    if capacity is None or plus_ones is None:
        raise EventError("capacity and plus-ones must be whole numbers", "capacity")
    try:
        zone = app.program.club.zone
        starts, ends = moment_in(draft.starts, zone), moment_in(draft.ends, zone)
        deadline = moment_in(draft.deadline, zone) if draft.deadline.strip() else None
    except (ValueError, OutOfRange):
        raise EventError("a date and time cannot be read", "times") from None
    return {
        "title": draft.title, "kind": draft.kind, "starts_at": starts, "ends_at": ends,
        "deadline": deadline, "capacity": capacity, "plus_ones": plus_ones,
        "place": draft.place.strip(), "description": draft.description.strip(),
        "tiers": draft.tiers, "segments": draft.segments, "badges": draft.badges,
    }  # fmt: skip


def _form_page(
    request: Request, app: App, who: Who, draft: Draft, event_id: int | None,
    status: int = 200, problem: str | None = None,
) -> Response:  # fmt: skip
    return _render(
        request, app, "event_form.html", status, who=who, draft=asdict(draft), kinds=KINDS,
        choices=_choices(request, app), event_id=event_id, problem=problem,
        zone=app.program.club.timezone,
    )  # fmt: skip


def _choices(request: Request, app: App) -> dict[str, list[tuple[str, str]]]:
    """The tiers, segments and badges an event may be for: (key, name in the staff's words)."""
    speaker = office_speaker(request, app)
    lang = speaker.language
    return {
        "tiers": [(t.key, t.name[lang]) for t in app.program.tiers.levels],
        "segments": [(s.value, segment_name(s.value, speaker)) for s in Segment],
        "badges": [(key, badge.name[lang]) for key, badge in app.program.badges.items()],
    }


def _missing(request: Request, app: App, who: Who) -> Response:
    return _render(request, app, "event_missing.html", 404, who=who)


@router.get("", include_in_schema=False)
async def listing(request: Request, app: App, who: Signed) -> Response:
    async with app.db.unit_of_work() as uow:
        coming, past = await office_events.listing(uow, app.clock())
    return _render(request, app, "events.html", who=who, coming=coming, past=past)


@router.get("/new", include_in_schema=False)
async def new(request: Request, app: App, who: Signed) -> Response:
    return _form_page(request, app, who, Draft(), None)


@router.post("/new", include_in_schema=False, dependencies=[Checked])
async def create(request: Request, app: App, who: Signed, draft: Drafted) -> Response:
    try:
        async with app.db.unit_of_work() as uow:
            guests = await office_events.guest_numbers(uow, draft.guests, app.program)
            event = await office_events.create(
                uow, app.program, who.email, app.clock(), guests=guests, **_given(draft, app)
            )
            await uow.commit()
    except EventError as exc:
        return _form_page(request, app, who, draft, None, 422, exc.code)
    return RedirectResponse(f"/office/events/{event.id}", 303)


@router.get("/{event_id}", include_in_schema=False)
async def event_page(request: Request, app: App, who: Signed, event_id: str) -> Response:
    return await _event_page(request, app, who, event_id)


async def _page_of(app: App, event_id: str) -> office_events.Page | None:
    """What an event's pages show, or None when the address names no event."""
    number = parse_id(event_id)
    if number is None:
        return None
    async with app.db.unit_of_work() as uow:
        return await office_events.page(uow, app.program, number)


async def _event_page(
    request: Request, app: App, who: Who, event_id: str, status: int = 200, **more: object
) -> Response:
    page = await _page_of(app, event_id)
    if page is None:
        return _missing(request, app, who)
    event, speaker = page.sheet.event, office_speaker(request, app)

    def share(value: float | None) -> str:
        return "—" if value is None else format_percent(value, locale=speaker.language)

    return _render(
        request, app, "event.html", status, who=who, page=page, event=event,
        upcoming=event.cancelled_at is None and event.starts_at > app.clock(),
        number=members.member_number, speaker=speaker, share=share, no_consent=NO_CONSENT,
        days=app.program.events.conversion_days,
        named={kind: dict(pairs) for kind, pairs in _choices(request, app).items()}, **more,
    )  # fmt: skip


@router.get("/{event_id}/edit", include_in_schema=False)
async def edit_page(request: Request, app: App, who: Signed, event_id: str) -> Response:
    page = await _page_of(app, event_id)
    if page is None:
        return _missing(request, app, who)
    guests = [members.member_number(m) for m in page.sheet.guests]
    event = page.sheet.event
    return _form_page(request, app, who, _drafted(event, guests, app), event.id)


@router.post("/{event_id}/edit", include_in_schema=False, dependencies=[Checked])
async def edit(request: Request, app: App, who: Signed, event_id: str, draft: Drafted) -> Response:
    number = parse_id(event_id)
    if number is None:
        return _missing(request, app, who)
    try:
        async with app.db.unit_of_work() as uow:
            if await office_events.page(uow, app.program, number) is None:
                return _missing(request, app, who)
            guests = await office_events.guest_numbers(uow, draft.guests, app.program)
            await office_events.edit(
                uow, app.program, who.email, number, app.clock(), guests, **_given(draft, app)
            )
            await uow.commit()
    except EventError as exc:
        return _form_page(request, app, who, draft, number, 422, exc.code)
    return RedirectResponse(f"/office/events/{number}", 303)


@router.post("/{event_id}/invite", include_in_schema=False, dependencies=[Checked])
async def invite(request: Request, app: App, who: Signed, event_id: str) -> Response:
    number = parse_id(event_id)
    if number is None:
        return _missing(request, app, who)
    try:
        async with app.db.unit_of_work() as uow:
            invited = await office_events.invite(uow, app.program, who.email, number, app.clock())
            await uow.commit()
    except EventError as exc:
        return await _event_page(request, app, who, event_id, 409, refused=exc.code)
    return await _event_page(request, app, who, event_id, invited=invited)


@router.post("/{event_id}/cancel", include_in_schema=False, dependencies=[Checked])
async def cancel(
    request: Request, app: App, who: Signed, event_id: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    number = parse_id(event_id)
    if number is None:
        return _missing(request, app, who)
    if confirm != "yes":
        return await _event_page(request, app, who, event_id, 422, refused="confirm")
    try:
        async with app.db.unit_of_work() as uow:
            done = await office_events.cancel(uow, app.program, who.email, number, app.clock())
            await uow.commit()
    except EventError:
        return await _event_page(request, app, who, event_id, 409, refused="gone")
    return await _event_page(request, app, who, event_id, cancelled=done)


@router.get("/{event_id}/guests.csv", include_in_schema=False)
async def guests_csv(request: Request, app: App, who: Signed, event_id: str) -> Response:
    number = parse_id(event_id)
    try:
        async with app.db.unit_of_work() as uow:
            guests = await hosting.guest_list(uow, number) if number else None
    except EventError:
        guests = None
    if guests is None:
        return _missing(request, app, who)
    return Response(
        hosting.guests_csv(guests, app.program.club.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="event-{number}-guests.csv"'},
    )


async def _door(
    request: Request, app: App, who: Who, event_id: str, status: int = 200, **more: object
) -> Response:
    page = await _page_of(app, event_id)
    if page is None:
        return _missing(request, app, who)
    speaker = office_speaker(request, app)
    return _render(
        request, app, "check_in.html", status, who=who, event=page.sheet.event,
        speaker=speaker, ngettext=speaker.ngettext, **more,
    )  # fmt: skip


@router.get("/{event_id}/check-in", include_in_schema=False)
async def door(request: Request, app: App, who: Signed, event_id: str) -> Response:
    return await _door(request, app, who, event_id)


@router.post("/{event_id}/check-in", include_in_schema=False, dependencies=[Checked])
async def check_in(
    request: Request, app: App, who: Signed, event_id: str,
    ticket: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """One line: checked in (name, guests), already checked in at..., or why not."""
    number = parse_id(event_id)
    if number is None:
        return _missing(request, app, who)
    try:
        async with app.db.unit_of_work() as uow:
            came = await office_events.check_in(
                uow, app.program, who.email, number, ticket, app.clock()
            )
            await uow.commit()
    except EventError as exc:
        return await _door(request, app, who, event_id, 422, refused=exc.code)
    return await _door(request, app, who, event_id, came=came)
