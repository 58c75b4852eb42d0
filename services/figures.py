"""The Figures page's measures (issue 19): the aggregates storage answers, composed into
tables of months (or tiers, segments, events) the page charts and the CSV downloads carry.

Tiers and segments are what members are in now: neither is kept as history, so a month's
order value is by its buyer's tier and segments today, and a tier move is only a member's
latest (tier_status keeps no earlier one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from loyalty.figures import FiguresUnitOfWork, Months, Tally, median
from loyalty.program import Program
from loyalty.segments import Segment

Value = int | float | Decimal | None
COUNT, RATE, RATIO, MONEY, DAYS = "count", "rate", "ratio", "money", "days"
MINUTES = "minutes"
SENT = ("queued", "sent", "delivered", "read")  # the provider took it
DELIVERED = ("delivered", "read")
FAILED = ("failed", "undelivered", "dead")
STAGES = ("written", "sent", "delivered", "read", "failed")


@dataclass(frozen=True)
class Column:
    label: str
    unit: str = COUNT


@dataclass(frozen=True)
class Table:
    """One measure: rows (a month, a tier, an event...) by columns; `charted` names the
    columns its chart draws (of one unit), `note` says what it cannot know."""

    slug: str
    title: str
    heading: str  # what the rows are
    columns: list[Column]
    rows: Sequence[tuple[str, Sequence[Value]]]
    charted: list[int]
    note: str = ""
    bars: bool = False  # rows that are not months: a bar chart


@dataclass(frozen=True)
class Asked:
    """What a builder is given: the unit of work, the range and its edges, now, the club."""

    uow: FiguresUnitOfWork
    months: Months
    edges: list[datetime]
    now: datetime
    program: Program
    _: Callable[[str], str]

    @property
    def labels(self) -> list[str]:
        return self.months.labels()


def rate(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


def _by_month(rows: Sequence[Tally], n: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for row in rows:
        if 0 <= row.month < n:
            out[row.key][row.month] += row.count
    return out


def _tier_name(key: str, program: Program, language: str) -> str:
    found = [t for t in program.tiers.levels if t.key == key]
    return found[0].name.get(language, key) if found else key


def segment_names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        Segment.HIGH_VALUE_COLLECTOR: _("High-value collectors"),
        Segment.CUSTOM_CLIENT: _("Custom clients"),
        Segment.MILESTONE_BUYER: _("Milestone buyers"),
        Segment.NEW_REPEAT_BUYER: _("New repeat buyers"),
        Segment.DORMANT_BUT_PROMISING: _("Dormant but promising"),
    }


async def _members(a: Asked, language: str) -> list[Table]:
    _, program, n = a._, a.program, len(a.labels)
    before, joined = await a.uow.figures.joined(a.edges)
    new = _by_month(joined, n)["joined"]
    total, rows = before, []
    for label, count in zip(a.labels, new, strict=True):
        total += count
        rows.append((label, [count, total]))
    entry = program.tiers.public[0].key
    tiers = {t.key: t.count for t in await a.uow.figures.tiers_now(entry)}
    segments = {t.key: t.count for t in await a.uow.figures.segments_now(a.now, program)}
    names = segment_names(_)
    moves = _by_month(await a.uow.figures.tier_moves(a.edges, entry), n)
    keys = [t.key for t in program.tiers.levels]
    move_columns = [
        Column(
            _("down to {tier}").format(tier=_tier_name(k, program, language))
            if k == entry
            else _("to {tier}").format(tier=_tier_name(k, program, language))
        )
        for k in keys
    ]
    return [
        Table("members", _("Members"), _("Month"),
              [Column(_("joined")), Column(_("members at the month's end"))],
              rows, [1], _("Erased members are not counted.")),
        Table("tiers", _("Members by tier now"), _("Tier"), [Column(_("members"))],
              [(_tier_name(k, program, language), [tiers.get(k, 0)]) for k in keys],
              [0], _("Tiers are kept as they are now, not month by month."), bars=True),
        Table("segments", _("Members by segment now"), _("Segment"), [Column(_("members"))],
              [(names[s], [segments.get(s, 0)]) for s in Segment], [0],
              _("A member may be in several segments."), bars=True),
        Table("tier-moves", _("Tier moves"), _("Month"), move_columns,
              [(label, [moves[k][i] for k in keys]) for i, label in enumerate(a.labels)],
              list(range(len(keys))),
              _("Only each member's latest move is recorded: earlier moves, and a move down "
                "between two upper tiers, cannot be told apart.")),
    ]  # fmt: skip


async def _purchases(a: Asked, language: str) -> list[Table]:
    _, n, program = a._, len(a.labels), a.program
    firsts: dict[int, int] = defaultdict(int)
    seconds: dict[int, int] = defaultdict(int)
    gaps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    returns = await a.uow.figures.returns(a.edges, program)
    for row in returns:
        if row.key == "came_back":
            continue
        firsts[row.month] += row.count
        if row.key:
            seconds[row.month] += row.count
            gaps[row.month].append((int(row.key), row.count))
    repeat = [
        (label, [firsts[i], seconds[i], rate(seconds[i], firsts[i]), median(gaps[i])])
        for i, label in enumerate(a.labels)
    ]
    orders = _by_month(await a.uow.figures.orders(a.edges), n)
    frequency = [
        (label, [orders["orders"][i], orders["buyers"][i],
                 rate(orders["orders"][i], orders["buyers"][i])])
        for i, label in enumerate(a.labels)
    ]  # fmt: skip
    values = await a.uow.figures.order_values(a.edges, a.now, program)
    sums: dict[str, list[tuple[int, Decimal]]] = defaultdict(lambda: [(0, Decimal(0))] * n)
    for s in values:
        sums[s.key][s.month] = (s.count, s.total)

    def average(key: str, i: int) -> Value:
        count, total = sums[key][i]
        return (total / count).quantize(Decimal("0.01")) if count else None

    tiers = [t.key for t in program.tiers.levels]
    names = segment_names(_)
    back = _by_month(returns, n)["came_back"]
    return [
        Table("repeat", _("Repeat purchases"), _("Month of the first purchase"),
              [Column(_("first purchases")), Column(_("with a second since")),
               Column(_("repeat rate"), RATE), Column(_("median days to the second"), DAYS)],
              repeat, [2]),
        Table("frequency", _("Purchase frequency"), _("Month"),
              [Column(_("purchases")), Column(_("buyers")), Column(_("purchases per buyer"),
               RATIO)], frequency, [0, 1], _("Refunded purchases are not counted.")),
        Table("order-value-tier", _("Average order value by tier"), _("Month"),
              [Column(_tier_name(k, program, language), MONEY) for k in tiers],
              [(label, [average(f"tier:{k}", i) for k in tiers])
               for i, label in enumerate(a.labels)],
              list(range(len(tiers))), _("By the buyer's tier now.")),
        Table("order-value-segment", _("Average order value by segment"), _("Month"),
              [Column(names[s], MONEY) for s in Segment],
              [(label, [average(f"segment:{s}", i) for s in Segment])
               for i, label in enumerate(a.labels)],
              list(range(len(Segment))), _("By the buyer's segments now.")),
        Table("dormant", _("Dormant but promising"), _("Month"), [Column(_("came back"))],
              [(label, [back[i]]) for i, label in enumerate(a.labels)], [0],
              _("Came back: bought again after a silence longer than the club's dormant days, "
                "having spent its dormant minimum before; counted once, at their first purchase "
                "in the range.")),
    ]  # fmt: skip


async def _events(a: Asked, language: str) -> list[Table]:
    _, days = a._, a.program.events.conversion_days
    rows: list[tuple[str, list[Value]]] = [
        (f"{e.title} ({e.starts_at.astimezone(a.program.club.zone):%Y-%m-%d})",
         [e.invited, e.yes, rate(e.yes, e.invited), e.came, rate(e.came, e.yes), e.bought,
          rate(e.bought, e.came)])
        for e in await a.uow.figures.events(a.edges, days)
    ]  # fmt: skip
    columns = [
        Column(_("invited")), Column(_("said yes")), Column(_("RSVP rate"), RATE),
        Column(_("came")), Column(_("attendance"), RATE), Column(_("bought")),
        Column(_("conversion"), RATE),
    ]  # fmt: skip
    note = _(
        "Conversion: guests who came and bought from the event's start to {days} days after "
        "its end (the club's conversion days). Cancelled events are left out."
    ).format(days=days)
    return [Table("events", _("Events"), _("Event"), columns, rows, [2, 4, 6], note, bars=True)]


async def _concierge(a: Asked, language: str) -> list[Table]:
    _, n = a._, len(a.labels)
    tallies = await a.uow.figures.concierge(a.edges, a.now)
    counts = _by_month([t for t in tallies if not t.key.startswith("answer:")], n)
    answers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for t in tallies:
        if t.key.startswith("answer:"):
            answers[t.month].append((int(t.key.split(":")[1]), t.count))
    rows: list[tuple[str, list[Value]]] = [
        (label, [counts["handoffs"][i], median(answers[i]), counts["booked"][i],
                 counts["due"][i], counts["no_show"][i],
                 rate(counts["no_show"][i], counts["due"][i])])
        for i, label in enumerate(a.labels)
    ]  # fmt: skip
    columns = [
        Column(_("conversations with staff")),
        Column(_("median minutes to staff's first answer"), MINUTES),
        Column(_("appointments booked")), Column(_("appointments due")),
        Column(_("no-shows")), Column(_("no-show rate"), RATE),
    ]  # fmt: skip
    note = _("No-shows: of the appointments due in the month (not cancelled), until now.")
    return [Table("concierge", _("Concierge"), _("Month"), columns, rows, [0, 2], note)]


async def _messages(a: Asked, language: str) -> list[Table]:
    _, n = a._, len(a.labels)
    monthly: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    kinds: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    for t in await a.uow.figures.messages(a.edges):
        kind, channel, status = t.key.split("|")
        groups = [True, status in SENT, status in DELIVERED, status == "read", status in FAILED]
        for g, yes in zip(STAGES, groups, strict=True):
            if yes:
                monthly[g][t.month] += t.count
        for i, yes in enumerate(groups):
            kinds[f"{kind} · {channel}"][i] += t.count if yes else 0
    columns = [Column(_("written")), Column(_("sent")), Column(_("delivered")),
               Column(_("read")), Column(_("failed"))]  # fmt: skip
    outs = _by_month(await a.uow.figures.opt_outs(a.edges), n)
    purposes = sorted(outs)
    return [
        Table("messages", _("Messages"), _("Month"), columns,
              [(label, [monthly[g][i] for g in STAGES]) for i, label in enumerate(a.labels)],
              [1, 2, 3, 4], _("Sent: taken by the platform; delivered and read as it reports.")),
        Table("messages-by-kind", _("Messages by kind and channel"), _("Kind and channel"),
              columns, [(key, list(v)) for key, v in sorted(kinds.items())], [1, 2, 3, 4],
              _("Over the whole range."), bars=True),
        Table("opt-outs", _("Opt-outs"), _("Month"), [Column(p) for p in purposes],
              [(label, [outs[p][i] for p in purposes]) for i, label in enumerate(a.labels)],
              list(range(len(purposes))), _("Members who withdrew a consent, by purpose.")),
    ]  # fmt: skip


BUILDERS: list[Callable[[Asked, str], Awaitable[list[Table]]]] = [
    _members, _purchases, _events, _concierge, _messages,
]  # fmt: skip
SLUGS = {
    "members": 0, "tiers": 0, "segments": 0, "tier-moves": 0, "repeat": 1, "frequency": 1,
    "order-value-tier": 1, "order-value-segment": 1, "dormant": 1, "events": 2,
    "concierge": 3, "messages": 4, "messages-by-kind": 4, "opt-outs": 4,
}  # fmt: skip


async def tables(
    uow: FiguresUnitOfWork, months: Months, now: datetime, program: Program,
    _: Callable[[str], str], language: str, slug: str | None = None,
) -> list[Table]:  # fmt: skip
    """Every measure over `months` (or only the one `slug` names: [] when none)."""
    asked = Asked(uow, months, months.edges(program.club.zone), now, program, _)
    if slug is not None:
        if slug not in SLUGS:
            return []
        found = await BUILDERS[SLUGS[slug]](asked, language)
        return [t for t in found if t.slug == slug]
    out: list[Table] = []
    for build in BUILDERS:
        out += await build(asked, language)
    return out
