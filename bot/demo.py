"""The demo club's members and purchases, seeded through the same paths as real data."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from bot.bootstrap import Concierge
from handlers.card import render_card
from loyalty.consent import Channel, Purpose
from loyalty.hours import Opening
from loyalty.purchases import PurchaseInput, Status
from services import chats, events, hosting, members, schedules, staff
from services.purchases import ingest
from services.wording import speaker_for

DEMO_PHONE = "+393471234567"
DEMO_STAFF = 100_000_001  # a Telegram user id for the demo concierge (no one real)

# (phone, name, locale, timezone, birthday, [(order, days ago, amount, currency, category,
#  limited edition, status)])
PEOPLE = [
    (
        DEMO_PHONE,
        "Giulia Rossi",
        "en",
        "Europe/Rome",
        "02-29",
        [
            ("DEMO-1001", 400, "850.00", "EUR", "engagement", False, "paid"),
            ("DEMO-1002", 200, "1200.00", "EUR", "necklace", True, "paid"),
            ("DEMO-1003", 60, "95.00", "EUR", "repair", False, "paid"),
            ("DEMO-1004", 20, "640.00", "USD", "earrings", True, "paid"),
        ],
    ),
    (
        "+33612345678",
        "Camille Laurent",
        "fr",
        "Europe/Paris",
        "07-14",
        [
            ("DEMO-2001", 30, "2400.00", "EUR", "watch", False, "paid"),
            ("DEMO-2002", 10, "300.00", "EUR", "bracelet", False, "refunded"),
        ],
    ),
    (
        "+393351112233",
        "Marco Bianchi",
        "it",
        "Europe/Rome",
        None,
        [
            ("DEMO-3001", 500, "4200.00", "EUR", "bespoke", False, "paid"),
        ],
    ),
]


async def seed(app: Concierge) -> str:
    """Seed the demo club once (a second run changes nothing); return Giulia's card."""
    now = app.clock()
    async with app.db.unit_of_work() as uow:
        for phone, name, locale, zone, birthday, _ in PEOPLE:
            if await chats.linkable(uow, phone) is None:
                member = await members.add(
                    uow,
                    app.program,
                    now - timedelta(days=600),
                    phone,
                    name=name,
                    birthday=birthday,
                    timezone=zone,
                    locale=locale,
                )
                for purpose in (Purpose.BIRTHDAY, Purpose.EVENTS):
                    await members.set_consent(
                        uow, member, purpose, Channel.TELEGRAM, True, now, "demo", "demo seed"
                    )
        await uow.commit()
    batch = [
        PurchaseInput(
            order,
            phone,
            Decimal(amount),
            currency,
            now - timedelta(days=days),
            category=category,
            limited_edition=limited,
            status=Status(status),
            store="Milano Brera",
        )
        for phone, *_, orders in PEOPLE
        for order, days, amount, currency, category, limited, status in orders
    ]
    await ingest(app.db.unit_of_work, batch, "demo", now, app.program)
    async with app.db.unit_of_work() as uow:
        if not await staff.roster(uow):  # a concierge to book, Tuesday to Saturday
            await staff.register(uow, DEMO_STAFF, "Anna Bianchi", "concierge", now)
            for weekday in range(1, 6):
                await schedules.set_hours(
                    uow, str(DEMO_STAFF), weekday, Opening(time(10), time(18))
                )
        if not await hosting.listing(uow):
            evening = (now + timedelta(days=10)).astimezone(app.program.club.zone)
            starts = evening.replace(hour=18, minute=30, second=0, microsecond=0)
            await events.create(
                uow, app.program, now - timedelta(days=3), title="Emerald trunk show",
                starts_at=starts, ends_at=starts + timedelta(hours=3),
                capacity=12, plus_ones=1, place="Milano Brera, the salon upstairs",
                description="Colombian emeralds, set and unset, with the atelier's designer.",
            )  # fmt: skip
        await uow.commit()
    async with app.db.unit_of_work() as uow:
        giulia = await members.find(uow, DEMO_PHONE, app.program)
        card = await members.card(uow, giulia, now, app.program)
        await uow.commit()
    return render_card(card, app.program, speaker_for(giulia.locale, giulia.timezone, app.program))
