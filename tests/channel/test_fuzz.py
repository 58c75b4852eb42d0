"""Every endpoint fuzzed with valid signatures (hypothesis, bounded and seeded).

Each example starts from a real-world payload (tests/fixtures/) or a genuine request and
changes it the ways the world does: fields dropped, added, replaced by other JSON, text
with NUL, lone surrogates, foreign digits or 10,000 characters, numbers out of range,
characters moved between Twilio's fields. Whatever arrives, signed as its sender signs:
no 5xx, no traceback in the log, and a genuine message is answered right after.

`CONCIERGE_FUZZ_EXAMPLES` sets the examples per endpoint (default 25, for the suite's
pace); docs/fuzzing.md gives the figures of a long run.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.media import CALENDAR_PATH, PHOTO_PATH, QR_PATH, media_url
from bot.channels.whatsapp import STATUS_PATH
from tests.channel.conftest import WEBHOOK, Desk
from tests.channel.twilio import PUBLIC_URL, WHATSAPP_HOOK, sign
from tests.factories import message_update, telegram_user, whatsapp_form
from tests.web.test_pos_webhook import order
from tests.web.test_pos_webhook import sign as pos_sign

log = logging.getLogger("concierge.fuzz")
FIXTURES = Path(__file__).parent.parent / "fixtures"
EXAMPLES = int(os.environ.get("CONCIERGE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # seeded: the same examples on every run and machine
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TELEGRAM_UPDATES = {p.stem: json.loads(p.read_text()) for p in (FIXTURES / "telegram").glob("*")}
TWILIO_FORMS = {p.stem: json.loads(p.read_text()) for p in (FIXTURES / "twilio").glob("*")}
INBOUND = sorted(name for name in TWILIO_FORMS if name.startswith("message_"))
STATUSES = sorted(name for name in TWILIO_FORMS if name.startswith("status_"))

# -- what the world sends -------------------------------------------------------------------

ODD_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "²", "١٢", "፩", "a²", "-1", "0", "007",
    "99999999999999999999", "1e400", "NaN", "Infinity", "null", "true", "🙂" * 50,
    "x" * 10_000, "M00001", "+393471234567", "whatsapp:+393471234567", "<script>", "%00",
    "../../etc/passwd", "SM" + "0" * 32, "\u202e\u0627", "line\nbreak", "tab\tch",
])  # fmt: skip
TEXT = st.one_of(ODD_TEXT, st.text(max_size=60))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document (the root left out): keys and list indices."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _mutate(draw: st.DrawFn, document: Any) -> Any:
    """The document with a few of its places replaced, dropped, or given a new neighbour."""
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        places = list(_paths(document))
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = document
        for step in parent_path:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "drop", "add"]))
        if how == "replace":
            parent[last] = draw(JSON_VALUES)
        elif how == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(TEXT)] = draw(JSON_VALUES)
        else:
            parent.append(draw(JSON_VALUES))
    return document


def _shifted(draw: st.DrawFn, form: dict[str, str]) -> dict[str, str]:
    """Twilio's form with characters moved between neighbouring fields (its signature covers
    the concatenation, so such a form is still signed), or fields changed, dropped, added."""
    form = dict(form)
    names = sorted(form)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        how = draw(st.sampled_from(["shift", "replace", "drop", "add"]))
        name = draw(st.sampled_from(names))
        if how == "shift" and names.index(name) + 1 < len(names):
            after = names[names.index(name) + 1]
            cut = draw(st.integers(min_value=0, max_value=len(form.get(after, ""))))
            form[name] = form.get(name, "") + form.get(after, "")[:cut]
            form[after] = form.get(after, "")[cut:]
        elif how == "replace":
            form[name] = draw(TEXT)
        elif how == "drop":
            form.pop(name, None)
        else:
            form[draw(TEXT.filter(bool))] = draw(TEXT)
    return {key: value for key, value in form.items() if _encodable(key) and _encodable(value)}


def _encodable(text: str) -> bool:
    """Lone surrogates cannot travel in a form body (UTF-8 has no bytes for them)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def telegram_updates(draw: st.DrawFn) -> Any:
    """A real update of any kind, changed; most keep a fresh id so the change is handled."""
    update = _mutate(draw, TELEGRAM_UPDATES[draw(st.sampled_from(sorted(TELEGRAM_UPDATES)))])
    if isinstance(update, dict) and draw(st.booleans()):
        update["update_id"] = draw(st.integers(min_value=900_000_001, max_value=2**40))
    return update


@st.composite
def twilio_forms(draw: st.DrawFn, kinds: list[str]) -> dict[str, str]:
    return _shifted(draw, TWILIO_FORMS[draw(st.sampled_from(kinds))])


@st.composite
def purchases(draw: st.DrawFn) -> Any:
    body = order(order_id=f"FUZZ-{draw(st.integers(min_value=1, max_value=10**9))}")
    return _mutate(draw, body) if draw(st.booleans()) else body


def generated(strategy: st.SearchStrategy[Any]) -> list[Any]:
    """`EXAMPLES` values drawn by hypothesis, seeded (the same on every run and machine).

    Drawn first and sent after: the app under test lives on the test's event loop, which
    hypothesis's own runner cannot share.
    """
    found: list[Any] = []

    @FUZZ
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


class Seen:
    """What an endpoint answered over a run: any status not allowed fails at once."""

    def __init__(self, endpoint: str, allowed: set[int]) -> None:
        self.endpoint = endpoint
        self.allowed = allowed
        self.statuses: Counter[int] = Counter()

    def answered(self, status: int, sent: object) -> None:
        self.statuses[status] += 1
        assert status in self.allowed, f"{self.endpoint} answered {status} to {sent!r:.300}"

    def report(self) -> None:
        """The run's figures, for docs/fuzzing.md (shown with `-o log_cli=true`)."""
        answers = ", ".join(f"{status} × {n}" for status, n in sorted(self.statuses.items()))
        log.info("fuzzed %s: %d tried: %s", self.endpoint, self.statuses.total(), answers)


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback nor error in the log, and no message whose handling broke: each was
    handled, or given up at once as unreadable."""
    caplog.set_level(logging.INFO)
    yield
    broken = [
        r for r in caplog.get_records("call")
        if r.exc_info or r.levelno >= logging.ERROR or " of 3 failed " in r.getMessage()
    ]  # fmt: skip
    assert not broken, [f"{r.name}: {r.getMessage()}" for r in broken]


async def test_telegram_updates_of_every_kind_changed_every_way(
    desk: Desk, no_tracebacks: None
) -> None:
    seen = Seen("telegram", {200, 400})
    secret = {"X-Telegram-Bot-Api-Secret-Token": _secret(desk)}

    for update in generated(telegram_updates()):
        body = json.dumps(update).encode()
        response = await desk.telegram.http.post(WEBHOOK, content=body, headers=secret)
        seen.answered(response.status_code, update)

    seen.report()
    calls = await desk.telegram.send(message_update("/start", user=telegram_user(6_660_010)))
    assert [c.chat_id for c in calls if c.method == "sendMessage"] == ["6660010"] * 2
    assert seen.statuses.total() >= EXAMPLES // 2  # hypothesis may stop early once it has all


async def test_whatsapp_messages_of_every_kind_changed_every_way(
    desk: Desk, no_tracebacks: None
) -> None:
    seen = Seen("twilio/whatsapp", {200, 400})

    for form in generated(twilio_forms(INBOUND)):
        response = await desk.whatsapp.post(WHATSAPP_HOOK, form)  # signed as Twilio signs
        seen.answered(response.status_code, form)

    seen.report()
    replies = await desk.whatsapp.send(whatsapp_form("card", "+447911123456"))
    assert replies, "a genuine message right after is answered"
    assert seen.statuses[400] and seen.statuses[200]  # both refused and taken forms were tried


async def test_status_callbacks_changed_every_way(desk: Desk, no_tracebacks: None) -> None:
    seen = Seen("twilio/status", {204, 400})
    rows = st.one_of(ODD_TEXT.filter(_encodable), st.integers(min_value=-1).map(str))

    for row, form in generated(st.tuples(rows, twilio_forms(STATUSES))):
        response = await desk.whatsapp.post(f"{STATUS_PATH}?m={quote(row)}", form)
        seen.answered(response.status_code, (row, form))

    seen.report()
    assert seen.statuses.total() >= EXAMPLES // 2


async def test_pos_purchases_changed_every_way(desk: Desk, no_tracebacks: None) -> None:
    seen = Seen("api/purchases", {200, 201, 422})

    for body in generated(purchases()):
        raw = json.dumps(body).encode()
        headers = {"x-concierge-signature": pos_sign(raw)}
        response = await desk.telegram.http.post("/api/purchases", content=raw, headers=headers)
        seen.answered(response.status_code, body)

    seen.report()
    genuine = json.dumps(order(order_id="GENUINE-1")).encode()
    response = await desk.telegram.http.post(
        "/api/purchases", content=genuine, headers={"x-concierge-signature": pos_sign(genuine)}
    )
    assert response.status_code == 201
    assert seen.statuses[422] and seen.statuses[201]


async def test_signed_media_links_to_anything(desk: Desk, no_tracebacks: None) -> None:
    seen = Seen("media", {200, 404})
    key = await desk.whatsapp.app.state.whatsapp.media_key()
    paths = st.sampled_from([QR_PATH, CALENDAR_PATH, PHOTO_PATH])

    for path, shown in generated(st.tuples(paths, TEXT.filter(_encodable))):
        link = urlsplit(media_url(PUBLIC_URL, key, path, shown, desk.concierge.clock()))
        response = await desk.whatsapp.http.get(f"{link.path}?{link.query}")
        seen.answered(response.status_code, (path, shown))

    seen.report()
    assert seen.statuses.total() >= EXAMPLES // 2


def _secret(desk: Desk) -> str:
    secret = desk.concierge.settings.telegram_webhook_secret
    assert secret is not None
    return secret.get_secret_value()


def test_the_fixtures_cover_both_kinds_of_twilio_request() -> None:
    assert INBOUND and STATUSES and TELEGRAM_UPDATES
    for name in INBOUND:
        form = TWILIO_FORMS[name]
        assert sign(PUBLIC_URL + WHATSAPP_HOOK, form)  # signable as they are
