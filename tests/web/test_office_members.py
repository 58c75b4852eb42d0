"""The back office's Members pages over HTTP on a real database: the search by number or
phone, a member's page, who may read them, and what they never show."""

from __future__ import annotations

import httpx
import pytest

from bot.bootstrap import Concierge
from bot.logs import Redactor
from loyalty.consent import Channel, Purpose
from services import members, privacy
from services.purchases import ingest
from tests.factories import OTHER_PHONE, PHONE, purchase
from tests.web.test_office import browser, member_of_staff

__all__ = ["browser"]


async def enrolled(concierge: Concierge) -> tuple[str, str]:
    """Giulia (a purchase, a consent given at the till) and Marc; their member numbers."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(uow, concierge.program, now, PHONE, name="Giulia Rossi")
        marc = await members.add(uow, concierge.program, now, OTHER_PHONE, name="Marc Dubois")
        await members.set_consent(
            uow, giulia, Purpose.EVENTS, Channel.WHATSAPP, True, now, "till", "told at the till"
        )
        await uow.commit()
    batch = [purchase(now, "1200.00", order_id="ORD-GIULIA"), purchase(
        now, "80.00", phone=OTHER_PHONE, order_id="ORD-MARC"
    )]  # fmt: skip
    await ingest(concierge.db.unit_of_work, batch, "import", now, concierge.program)
    return members.member_number(giulia.id), members.member_number(marc.id)


@pytest.mark.parametrize("path", ["/office/members", "/office/members/M00001"])
async def test_a_visitor_is_sent_to_sign_in(browser: httpx.AsyncClient, path: str) -> None:
    response = await browser.get(path)
    assert response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize("role", ["staff", "owner"])
async def test_staff_and_owners_find_a_member_by_number_or_phone(
    concierge: Concierge, browser: httpx.AsyncClient, role: str
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", role)
    for query in (giulia, "M1", PHONE, "+39 347 123 4567"):
        found = await browser.get("/office/members", params={"q": query})
        assert found.status_code == 200
        assert f'href="/office/members/{giulia}"' in found.text and "Giulia Rossi" in found.text
        assert "Marc" not in found.text
    nobody = await browser.get("/office/members", params={"q": "M99999"})
    assert "No member found." in nobody.text and "Giulia" not in nobody.text


async def test_a_members_page_shows_their_card_ledger_purchases_and_consents_only(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    page = await browser.get(f"/office/members/{giulia}")
    assert page.status_code == 200
    for shown in ("Giulia Rossi", "ORD-GIULIA", "Purchase ORD-GIULIA", "€1,200.00", "till"):
        assert shown in page.text
    assert "Private previews and events" in page.text
    assert 'src="data:image/png;base64,' in page.text and "http" not in page.text.split("<img")[1]
    for other in ("Marc", "ORD-MARC", marc, OTHER_PHONE):
        assert other not in page.text
    assert (await browser.get(f"/office/members/{marc}")).status_code == 200


@pytest.mark.parametrize("path", ["M99999", PHONE, "nothing"])
async def test_no_page_for_someone_who_is_not_a_member(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    response = await browser.get(f"/office/members/{path}")
    assert response.status_code == 404 and "Giulia" not in response.text


async def test_an_erased_member_is_found_by_number_only_and_shows_nothing_of_them(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    async with concierge.db.unit_of_work() as uow:
        found = await members.look_up(uow, giulia, concierge.program)
        await privacy.erase(uow, concierge.program, found, concierge.clock())
        await uow.commit()
    await member_of_staff(concierge, browser, "anna@aurelia.example", "owner")
    listed = await browser.get("/office/members", params={"q": giulia})
    assert "erased on" in listed.text and f'href="/office/members/{giulia}"' not in listed.text
    by_phone = await browser.get("/office/members", params={"q": PHONE})
    assert "No member found." in by_phone.text  # an erased member has no phone left
    assert "Giulia" not in listed.text + by_phone.text
    page = await browser.get(f"/office/members/{giulia}")
    assert page.status_code == 404 and "Giulia" not in page.text


def test_the_access_log_line_of_a_search_shows_no_phone() -> None:
    line = '127.0.0.1 - "GET /office/members?q=%2B39+347+123+4567 HTTP/1.1" 200'
    assert Redactor()(line) == '127.0.0.1 - "GET /office/members?[query] HTTP/1.1" 200'
