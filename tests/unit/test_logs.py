"""What a log line may not show, masked wherever it turns up in the line or its traceback."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from telegram.error import BadRequest

from bot.logs import MaskingFormatter, Redactor, configure

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
QUOTED = "Bad Request: can't send «il regalo è per mia sorella»"  # Telegram quoting a message


@pytest.fixture
def redact() -> Redactor:
    return Redactor()


def record(message: str, *args: object) -> logging.LogRecord:
    """A record logged with log.exception: with the exception being handled."""
    return logging.LogRecord(
        "concierge.test", logging.ERROR, __file__, 1, message, args, sys.exc_info()
    )


def test_a_back_office_link_is_masked_in_the_access_log(redact: Redactor) -> None:
    line = '203.0.113.9:53211 - "POST /office/welcome/N0c99slVbY17mSDt-Tdz_phX HTTP/1.1" 303'
    assert redact(line) == '203.0.113.9:53211 - "POST /office/welcome/[token] HTTP/1.1" 303'


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            f'HTTP Request: POST https://api.telegram.org/bot{TOKEN}/sendMessage "200 OK"',
            'HTTP Request: POST https://api.telegram.org/bot[token]/sendMessage "200 OK"',
        ),
        (
            f"GET https://api.telegram.org/file/bot{TOKEN}/photos/file_7.jpg",
            "GET https://api.telegram.org/file/bot[token]/photos/file_7.jpg",
        ),
        (f"token {TOKEN.replace(':', '%3A')}", "token [token]"),
    ],
)
def test_a_bot_token_is_masked_in_the_bot_apis_urls_and_anywhere(
    redact: Redactor, line: str, masked: str
) -> None:
    assert redact(line) == masked


def test_passwords_in_urls_and_basic_credentials_are_masked(redact: Redactor) -> None:
    assert redact("postgresql+asyncpg://club:S3cr3t-pw@db.internal/club unreachable") == (
        "postgresql+asyncpg://club:[secret]@db.internal/club unreachable"
    )
    assert redact("Authorization: Basic QUM1ZWY4NzMyYTNjNDk3MDA6OWYxYg==") == (
        "Authorization: Basic [secret]"
    )


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("to whatsapp:+393471234567: sent", "to whatsapp:••••••••••67: sent"),
        (
            "The 'To' number +393471234567 is not valid",
            "The 'To' number ••••••••••67 is not valid",
        ),
        ("phone +39 347 123 4567, amount", "phone ••••••••••67, amount"),
        ("phone +33 (6) 12-34-56-78.", "phone •••••••••78."),
        ("To=whatsapp%3A%2B393471234567 sent", "To=whatsapp%3A••••••••••67 sent"),
    ],
)
def test_phone_numbers_are_masked_as_mask_phone_shows_them(
    redact: Redactor, line: str, masked: str
) -> None:
    assert redact(line) == masked


def test_a_query_string_is_dropped_and_the_path_kept(redact: Redactor) -> None:
    line = 'GET https://club.example.com/media/qr.png?d=CLUB1%3AM00001%3Aab12&e=17&s=9f "200 OK"'

    assert redact(line) == 'GET https://club.example.com/media/qr.png?[query] "200 OK"'


def test_a_signed_payload_keeps_what_it_names_and_loses_its_signature(redact: Redactor) -> None:
    line = "scanned CLUB1:M00042:3f9c2e1d0b8a7f6e5d4c and EVT1:E7:M00042:0123456789abcdef0123"

    assert redact(line) == "scanned CLUB1:M00042:[signed] and EVT1:E7:M00042:[signed]"


def test_postgresqls_detail_is_hidden_up_to_the_statement_even_over_several_lines(
    redact: Redactor,
) -> None:
    error = (
        'duplicate key value violates unique constraint "said_once"\n'
        "DETAIL:  Key (handoff_id, text)=(1, Giulia: ring\n\nsize 14) already exists.\n"
        "[SQL: INSERT INTO transcript_line (handoff_id, text) VALUES ($1, $2)]\n"
        "[parameters hidden due to hide_parameters=True]"
    )

    assert redact(error) == (
        'duplicate key value violates unique constraint "said_once"\n'
        "DETAIL: [hidden]\n"
        "[SQL: INSERT INTO transcript_line (handoff_id, text) VALUES ($1, $2)]\n"
        "[parameters hidden due to hide_parameters=True]"
    )
    assert redact("Conflict: a row\nDETAIL:  Failing row contains (Giulia Rossi).") == (
        "Conflict: a row\nDETAIL: [hidden]"
    )


def test_secrets_it_was_told_are_masked_and_too_short_ones_are_not_taken(
    redact: Redactor,
) -> None:
    redact.hide("pos-secret_5Tq8Wz2Lk9Rv4Hn7", "pw", None)

    assert redact("signed with pos-secret_5Tq8Wz2Lk9Rv4Hn7 by pw") == (
        "signed with [secret] by pw"
    )


def test_ordinary_lines_are_left_alone(redact: Redactor) -> None:
    line = (
        "2026-11-24 10:00:00,123 INFO concierge.worker: update 700000010, M00042: +120 "
        "points, 3 sent at 10:00:00+00:00; why? no"
    )

    assert redact(line) == line


def test_a_traceback_withholds_telegrams_words_and_keeps_the_rest(redact: Redactor) -> None:
    redact.hide("k3y-of-the-club-0123456789")
    try:
        try:
            raise BadRequest(QUOTED)
        except BadRequest as exc:
            raise RuntimeError("signed with k3y-of-the-club-0123456789") from exc
    except RuntimeError:
        line = MaskingFormatter(redact).format(record("update %s failed", 7))

    assert "update 7 failed" in line and "Traceback (most recent call last)" in line
    assert "telegram.error.BadRequest: [withheld]" in line
    assert "regalo" not in line
    assert "RuntimeError: signed with [secret]" in line


def test_a_traceback_another_handler_wrote_first_is_written_again_withheld(
    redact: Redactor,
) -> None:
    try:
        raise BadRequest(QUOTED)
    except BadRequest:
        shown = record("send failed")
    logging.Formatter().format(shown)  # a test runner's handler, say: it caches its text
    assert "regalo" in (shown.exc_text or "")

    line = MaskingFormatter(redact).format(shown)

    assert "regalo" not in line and "BadRequest: [withheld]" in line
    assert "regalo" in (shown.exc_text or "")  # the other handler's text is left as it was


def test_an_error_that_stops_the_process_is_logged_masked(logging_kept: None) -> None:
    out = io.StringIO()
    configure(verbose=False, stream=out)
    error = RuntimeError("duplicate key\nDETAIL:  Key (phone)=(+393471234567) already exists.")
    try:
        raise error
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # as the interpreter does before it exits

    written = out.getvalue()
    assert "CRITICAL concierge: stopped by an uncaught error\nTraceback" in written
    assert "RuntimeError: duplicate key\nDETAIL: [hidden]" in written
    assert "4567" not in written
