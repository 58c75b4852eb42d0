"""Who the demo club's history is about, and what they bought: drawn once from a seeded
random generator, so that two seeds of the same moment give the same club."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from loyalty.purchases import PurchaseInput

MEMBERS = 150
SEED = 19
MONTHS = 14
SPAN = timedelta(days=425)  # about fourteen months before the clock's now

FIRST = [
    "Alessandra", "Beatrice", "Chiara", "Davide", "Elena", "Federico", "Francesca", "Giorgio",
    "Ilaria", "Lorenzo", "Martina", "Matteo", "Paola", "Riccardo", "Sara", "Valentina",
    "Amélie", "Antoine", "Claire", "Élodie", "Hugo", "Julien", "Léa", "Manon", "Olivier",
    "Sophie", "Charlotte", "Emily", "Henry", "James", "Olivia", "Thomas",
]  # fmt: skip
LAST = [
    "Bassi", "Colombo", "Conti", "De Luca", "Esposito", "Ferrari", "Galli", "Greco", "Lombardi",
    "Marino", "Moretti", "Ricci", "Romano", "Rinaldi", "Bernard", "Dubois", "Fontaine",
    "Girard", "Lefèvre", "Mercier", "Moreau", "Petit", "Brooks", "Carter", "Hughes", "Parker",
]  # fmt: skip
PLACES = [("it", "Europe/Rome"), ("fr", "Europe/Paris"), ("en", "Europe/London")]
# category: (lowest, highest amount in euros)
PRICES = {
    "engagement": (1800, 6500), "wedding": (900, 2800), "anniversary": (700, 3200),
    "gift": (150, 900), "necklace": (400, 3800), "earrings": (250, 2400),
    "bracelet": (300, 2600), "watch": (1500, 9000), "repair": (60, 300), "resize": (40, 120),
    "bespoke": (2500, 12000),
}  # fmt: skip
KINDS = {  # what kind of client each member is, and how many of them in a hundred
    "one-off": 32,
    "repeat": 33,
    "collector": 10,
    "dormant": 12,
    "browser": 13,
}


@dataclass
class Person:
    phone: str
    name: str
    locale: str
    zone: str
    birthday: str | None
    joined: datetime
    kind: str
    telegram: int | None  # a Telegram user id when they also chat there
    consents: bool  # agreed to hear of previews and birthdays
    buys: list[PurchaseInput] = field(default_factory=list)


def _price(rng: random.Random, category: str, scale: float = 1.0) -> Decimal:
    low, high = PRICES[category]
    return Decimal(round(rng.uniform(low, high) * scale / 5) * 5).quantize(Decimal("0.01"))


def _buy(
    rng: random.Random, person: Person, at: datetime, category: str, scale: float = 1.0
) -> None:
    """One paid order of `person`; now and then in dollars or Swiss francs."""
    currency = rng.choices(["EUR", "USD", "CHF"], [90, 6, 4])[0]
    amount = _price(rng, category, scale)
    if currency != "EUR":  # about the same value in the other currency
        amount = (amount * Decimal("1.05")).quantize(Decimal("0.01"))
    order = f"HIST-{person.phone[-7:]}-{len(person.buys) + 1}"
    limited = category in ("necklace", "earrings", "bracelet", "watch") and rng.random() < 0.3
    store = rng.choice(["Milano Brera", "Milano Brera", "Online"])
    buy = PurchaseInput(
        order, person.phone, amount, currency, at, category=category, limited_edition=limited,
        store=store,
    )  # fmt: skip
    person.buys.append(buy)


def _purchases(rng: random.Random, person: Person, now: datetime) -> None:
    """What the member bought, by the kind of client they are, never after `now`."""
    start = now - SPAN
    categories = list(PRICES)
    if person.kind == "browser":
        return
    if person.kind == "dormant":  # a member from before, quiet for a year or more
        at = start - timedelta(days=rng.randint(20, 150))
        person.joined = at
        _buy(rng, person, at, rng.choice(["engagement", "watch", "necklace", "bespoke"]))
        back = at + timedelta(days=rng.randint(375, 520))
        if rng.random() < 0.55 and back < now - timedelta(days=2):
            _buy(rng, person, back, rng.choice(["anniversary", "earrings", "repair", "gift"]))
        return
    at = person.joined + timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 8))
    counts = {"one-off": 1, "repeat": rng.randint(2, 4), "collector": rng.randint(4, 8)}
    for number in range(counts[person.kind]):
        if at >= now - timedelta(hours=2):
            break
        if person.kind == "collector":
            _buy(rng, person, at, rng.choice(categories), scale=1.6)
        elif number == 0:
            _buy(rng, person, at, rng.choice(categories))
        else:
            _buy(rng, person, at, rng.choice(["gift", "earrings", "repair", "bracelet"]))
        at += timedelta(days=rng.randint(25, 130), hours=rng.randint(0, 6))


def people(now: datetime, seed: int = SEED, count: int = MEMBERS) -> list[Person]:
    """`count` members over the last fourteen months, the same for the same `now` and seed."""
    rng = random.Random(seed)
    start = now - SPAN
    found = []
    for number in range(count):
        kind = rng.choices(list(KINDS), list(KINDS.values()))[0]
        locale, zone = rng.choices(PLACES, [60, 25, 15])[0]
        days = 0 if kind == "dormant" else int(410 * rng.random() ** 0.8)
        birthday = f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        person = Person(
            phone=f"+39347{5_000_000 + number * 7919 % 1_000_000:07d}",
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            locale=locale,
            zone=zone,
            birthday=birthday if rng.random() < 0.7 else None,
            joined=(start + timedelta(days=days)).replace(  # in opening hours
                hour=rng.randint(8, 16), minute=rng.randint(0, 59), second=0, microsecond=0
            ),
            kind=kind,
            telegram=700_000_000 + number if rng.random() < 0.3 else None,
            consents=rng.random() < 0.85,
        )
        _purchases(rng, person, now)
        found.append(person)
    return found
