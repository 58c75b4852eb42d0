"""Logging for every process, with nothing secret or personal in any line.

Each line, its traceback included, is masked as it is written: tokens, secrets and the
club's signing keys, phone numbers (as `mask_phone` shows them), query strings (signed media
links), signed QR payloads and PostgreSQL's DETAIL (a row's values). Message text cannot be
recognised, so it is kept out at its sources: the database engine hides SQL parameters, a
traceback withholds Telegram's words about what we sent, and libraries whose debug lines are
the payload itself never log below INFO.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.settings import Settings
from loyalty.membercard import PREFIX, TICKET
from loyalty.phones import mask_phone
from storage.models import ClubSecret

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Their debug lines are the payload itself: aiosqlite's every SQL call with its parameters,
# python-telegram-bot's every call with its parameters and Telegram's answer.
PAYLOAD_LEVELS = {"aiosqlite": logging.WARNING, "telegram": logging.INFO}
# A line per HTTP call (thousands a day), per connection step, per migration: with -v only.
CHATTY = ("httpx", "httpcore", "alembic")
# Modules whose exceptions carry a provider's words about what we sent (Telegram's
# description may quote the message): a traceback shows their class, not their words.
PROVIDER_ERRORS = ("telegram.error",)
WITHHELD = "[withheld]"
SHORTEST_SECRET = 8  # a shorter one would mask ordinary words (URLs hide a short password)

# PostgreSQL's DETAIL quotes the row ("Key (phone)=(...)"): up to the statement, or the end
_DETAIL_END = r"\n\[SQL:|\nHINT:|\n\(Background on|\n\nThe above|\n\nDuring|\Z"
_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # a Telegram bot token, also inside the Bot API's URLs (/bot<token>/sendMessage)
    (re.compile(r"(?<!\d)\d{5,}(?::|%3A)[\w-]{30,}", re.I), "[token]"),
    # a password in a URL (the database's), Basic or Bearer credentials
    (re.compile(r"(\b[a-z][\w+.-]*://[^/\s:@]+):[^@\s/]+@", re.I), r"\1:[secret]@"),
    (re.compile(r"\b(Basic|Bearer) [\w+/=.-]{8,}"), r"\1 [secret]"),
    (re.compile(rf"DETAIL:.*?(?={_DETAIL_END})", re.S), "DETAIL: [hidden]"),
    # a query string: signed media links (the access log, httpx), status callbacks
    (re.compile(r"\?[^\s\"'<>]*=[^\s\"'<>]*"), "?[query]"),
    # a back-office one-time link (the access log): its path is the token
    (re.compile(r"(/office/welcome/)[^\s\"'?/]+"), r"\1[token]"),
    (re.compile(rf"\b((?:{PREFIX}|{TICKET}):(?:E\d+:)?M\d+:)[0-9a-f]{{20}}\b"), r"\1[signed]"),
    # a phone number: +, or %2B in a URL, then 7 to 15 digits, spaced or not
    (
        re.compile(r"(?:\+|%2B)\d(?:[ .()-]{0,2}\d){6,14}", re.I),
        lambda found: mask_phone(re.sub(r"(?i)^%2B", "", found.group())),
    ),
]


class Redactor:
    """Masks what no log line may show; learns the process's secrets as they become known."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()  # longest first: one inside another goes whole

    def hide(self, *secrets: str | None) -> None:
        known = {*self._secrets, *(s for s in secrets if s and len(s) >= SHORTEST_SECRET)}
        self._secrets = tuple(sorted(known, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[secret]")
        for pattern, mask in _RULES:
            text = pattern.sub(mask, text)
        return text


REDACTOR = Redactor()  # the process's: every handler's formatter and every secret share it


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and those it was raised from or during, as a traceback shows them."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


class MaskingFormatter(logging.Formatter):
    """One line per record (and its traceback), masked as a whole after formatting."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__(FORMAT)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text  # another handler's rendering: ours withholds, so redo it
        record.exc_text = None
        try:
            return self.redactor(super().format(record))
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:
        text = super().formatException(ei)
        for exc in _chain(ei[1]):
            words = str(exc)
            if words and type(exc).__module__ in PROVIDER_ERRORS:
                text = text.replace(words, WITHHELD)
        return text


def hide_secrets(settings: Settings) -> None:
    """Every secret setting (tokens, webhook and POS secrets) and the database's password."""
    secrets = [v.get_secret_value() for v in dict(settings).values() if isinstance(v, SecretStr)]
    REDACTOR.hide(*secrets, make_url(settings.database_url).password)


def _loaded(target: ClubSecret, _context: object) -> None:
    REDACTOR.hide(target.value)


def _made(_target: ClubSecret, value: str, *_: object) -> None:
    REDACTOR.hide(value)


def watch_club_keys() -> None:
    """The club's signing keys are masked from the moment the process reads or makes one."""
    if not event.contains(ClubSecret, "load", _loaded):
        event.listen(ClubSecret, "load", _loaded)
        event.listen(ClubSecret.value, "set", _made)


def _crashed(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An error nothing caught stops the process: its traceback is masked like any other."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("concierge").critical(
        "stopped by an uncaught error", exc_info=(kind, exc, tb)
    )


def configure(verbose: bool, stream: TextIO | None = None) -> logging.Handler:
    """Every record at INFO (-v: DEBUG) as one masked line on `stream` (stderr), and the
    traceback of an error that stops the process too."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in PAYLOAD_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    watch_club_keys()
    sys.excepthook = _crashed
    return handler
