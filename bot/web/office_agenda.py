"""The back office's Appointments pages (issue 19): the week by staff member (with no-shows
and cancellations, asked first), staff hours, and closures, which ask before cancelling the
bookings they touch. Staff and owners alike: staff handle the appointments, so they may
change hours and closures too."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from babel.dates import format_date, get_day_names
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.office import Checked, Signed, _render, office_speaker
from bot.web.state import App
from loyalty.dates import iso_day
from loyalty.hours import DAYS, Opening, parse_day
from loyalty.ids import INT4_MAX, INT8_MAX
from services import agenda, appointments, office_agenda, schedules
from services.appointments import BookingError
from services.members import member_number
from services.office import Who
from services.office_agenda import REASON, Touching
from services.schedules import ScheduleError
from services.staff import StaffError
from services.wording import service_name

router = APIRouter(prefix="/office/appointments")
HOME = "/office/appointments"


def _shown(request: Request, app: App) -> dict[str, Any]:
    """What every Appointments page uses to say a booking in the staff's language."""
    speaker = office_speaker(request, app)
    return {
        "speaker": speaker, "ngettext": speaker.ngettext, "number": member_number,
        "service": service_name, "program": app.program, "reason_length": REASON,
        "calendar_day": lambda day: format_date(day, "full", locale=speaker.language),
    }  # fmt: skip


async def _week(
    request: Request, app: App, who: Who, day: date | None, status: int = 200, **more: object
) -> Response:
    async with app.db.unit_of_work() as uow:
        shown = await office_agenda.week(uow, app.program, app.clock(), day)
    page = {"who": who, "week": shown, "monday": shown.first.date().isoformat(), **more}
    return _render(request, app, "appointments.html", status, **_shown(request, app), **page)


@router.get("", include_in_schema=False)
async def week(request: Request, app: App, who: Signed, week: str = "") -> Response:
    day = iso_day(week)
    if week and day is None:
        return await _week(request, app, who, None, 422, bad_week=week)
    return await _week(request, app, who, day)


@router.post("/{appointment_id}/no-show", include_in_schema=False, dependencies=[Checked])
async def no_show(
    request: Request, app: App, who: Signed, appointment_id: int,
    week: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """The member did not come; refused (and said why) before the appointment starts."""
    day = iso_day(week)
    if not 0 < appointment_id <= INT4_MAX:
        return await _week(request, app, who, day, 404, unknown=appointment_id)
    try:
        async with app.db.unit_of_work() as uow:
            await office_agenda.no_show(uow, who.email, appointment_id, app.clock())
            await uow.commit()
    except BookingError as exc:
        early = exc.code == agenda.EARLY
        said = {"early" if early else "unknown": appointment_id}
        return await _week(request, app, who, day, 409 if early else 404, **said)
    return RedirectResponse(f"{HOME}?week={day.isoformat()}" if day else HOME, 303)


@router.post("/{appointment_id}/cancel", include_in_schema=False, dependencies=[Checked])
async def cancel(
    request: Request, app: App, who: Signed, appointment_id: int,
    week: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Cancel one booking still to come (a client phoned, the piece is not ready): asked
    first, nothing changed; confirmed, cancelled and its member told. Refused in one line
    when it is cancelled, a no-show, started or unknown."""
    now = app.clock()
    try:
        if not 0 < appointment_id <= INT4_MAX:
            raise BookingError(f"no appointment {appointment_id}", appointments.UNKNOWN)
        async with app.db.unit_of_work() as uow:
            done = None
            if confirm == "yes":
                done = await office_agenda.cancel(uow, who.email, appointment_id, reason, now)
                await uow.commit()
            entry = done.entry if done else await office_agenda.to_cancel(uow, appointment_id, now)
    except BookingError as exc:
        status = {appointments.UNKNOWN: 404, office_agenda.WORDY: 422}.get(exc.code, 409)
        refused = {"not_cancelled": exc.code, "appointment": appointment_id}
        return await _week(request, app, who, iso_day(week), status, **refused)
    day = entry.booking.starts_at.astimezone(app.program.club.zone).date()
    here = f"{HOME}?week={office_agenda.monday(day).isoformat()}"  # the language switch's way back
    asking = None if done else entry
    return await _week(request, app, who, day, here=here, cancelled=done, asking=asking)


async def _hours(
    request: Request, app: App, who: Who, status: int = 200, **more: object
) -> Response:
    async with app.db.unit_of_work() as uow:
        rota = await schedules.rota(uow)
    language = office_speaker(request, app).language
    names, shorts = (get_day_names(width, locale=language) for width in ("wide", "abbreviated"))
    days = [(key, names[i], shorts[i]) for i, key in enumerate(DAYS)]
    page = {"who": who, "rota": rota, "days": days}
    return _render(request, app, "hours.html", status, **page, **more)


@router.get("/hours", include_in_schema=False)
async def hours(request: Request, app: App, who: Signed) -> Response:
    return await _hours(request, app, who)


def _openings(form: dict[str, str]) -> tuple[list[Opening | None], list[str]]:
    """A week of hours from the form's `mon_start`, `mon_end`, ... (both empty: not working);
    and the days given wrong (one time only, or the end not after the start)."""
    wanted: list[Opening | None] = []
    wrong = []
    for key in DAYS:
        start, end = form.get(f"{key}_start", "").strip(), form.get(f"{key}_end", "").strip()
        try:
            found = parse_day(f"{start}-{end}") if start or end else ()
        except ValueError:
            found = None
        if found is None or len(found) > 1:
            wrong.append(key)
        wanted.append(found[0] if found else None)
    return wanted, wrong


@router.post("/hours/{telegram_user_id}", include_in_schema=False, dependencies=[Checked])
async def change_hours(request: Request, app: App, who: Signed, telegram_user_id: int) -> Response:
    """A staff member's hours for the week; nothing changes when one day is wrong."""
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    wanted, wrong = _openings(form)
    if wrong:
        said = {"wrong": wrong, "editing": telegram_user_id, "given": form}
        return await _hours(request, app, who, 422, **said)
    if not 0 < telegram_user_id <= INT8_MAX:
        return await _hours(request, app, who, 404, nobody=True)
    try:
        async with app.db.unit_of_work() as uow:
            await office_agenda.set_hours(uow, who.email, telegram_user_id, wanted, app.clock())
            await uow.commit()
    except StaffError:
        return await _hours(request, app, who, 404, nobody=True)
    return RedirectResponse(f"{HOME}/hours", 303)


async def _closures(
    request: Request, app: App, who: Who, status: int = 200, **more: object
) -> Response:
    async with app.db.unit_of_work() as uow:
        listed = await office_agenda.upcoming_closures(uow, app.program, app.clock())
    today = app.clock().astimezone(app.program.club.zone).date().isoformat()
    page = {"who": who, "closures": listed, "today": today, **more}
    return _render(request, app, "closures.html", status, **_shown(request, app), **page)


@router.get("/closures", include_in_schema=False)
async def closures(request: Request, app: App, who: Signed) -> Response:
    return await _closures(request, app, who)


@router.post("/closures", include_in_schema=False, dependencies=[Checked])
async def close(
    request: Request, app: App, who: Signed, day: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "", booking: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:  # fmt: skip
    """Close the store on a day; bookings then are listed to confirm first, then cancelled
    with their members told."""
    closing = iso_day(day)
    if closing is None:
        return await _closures(request, app, who, 422, refused=True, day=day, reason=reason)
    try:
        async with app.db.unit_of_work() as uow:
            await office_agenda.close(
                uow, app.program, who.email, closing, reason, app.clock(), booking
            )
            await uow.commit()
    except Touching as exc:
        return await _closures(
            request, app, who, touching=exc.entries, closing=closing, day=day, reason=reason
        )
    except ScheduleError:
        return await _closures(request, app, who, 422, refused=True, day=day, reason=reason)
    return RedirectResponse(f"{HOME}/closures", 303)


@router.post("/closures/{day}/remove", include_in_schema=False, dependencies=[Checked])
async def reopen(request: Request, app: App, who: Signed, day: str) -> Response:
    opening = iso_day(day)
    try:
        if opening is None:
            raise ScheduleError(f"not a day: {day!r}")
        async with app.db.unit_of_work() as uow:
            await office_agenda.reopen(uow, who.email, opening, app.clock())
            await uow.commit()
    except ScheduleError:
        return await _closures(request, app, who, 404, not_closed=day)
    return RedirectResponse(f"{HOME}/closures", 303)
