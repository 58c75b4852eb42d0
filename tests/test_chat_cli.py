"""`concierge chat` as a person at the terminal uses it: how it ends, where its files go."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import Clock


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("CONCIERGE_PROGRAM", "CONCIERGE_POS_SECRET", "CONCIERGE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_ctrl_d_ends_the_chat_with_a_goodbye_and_the_files_go_to_their_folder(
    here: Path, clock: Clock
) -> None:
    result = CliRunner().invoke(
        main, ["chat", "--demo"], input="card\n", catch_exceptions=False, obj={"clock": clock}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("> \ngoodbye\n")
    assert "[image: concierge-files/card-M00001.png]" in result.stdout
    assert (here / "concierge-files" / "card-M00001.png").read_bytes().startswith(b"\x89PNG")


def test_files_go_to_the_folder_given(here: Path, clock: Clock) -> None:
    result = CliRunner().invoke(
        main, ["chat", "--demo", "--files", "mine/qr"], input="card\n/quit\n",
        catch_exceptions=False, obj={"clock": clock},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[image: mine/qr/card-M00001.png]" in result.stdout
    assert (here / "mine" / "qr" / "card-M00001.png").exists()
    assert not (here / "concierge-files").exists()


def test_a_files_folder_that_cannot_be_made_is_one_line(here: Path, clock: Clock) -> None:
    (here / "taken").write_text("a file, not a folder")
    result = CliRunner().invoke(
        main, ["chat", "--demo", "--files", "taken/qr"], input="card\n",
        catch_exceptions=False, obj={"clock": clock},
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "concierge: --files: taken/qr: Not a directory\n"
    assert not (here / "demo.db").exists()  # refused before anything was opened


def _read_until(process: subprocess.Popen[bytes], ending: bytes, within: float) -> bytes:
    """What the chat printed, up to the prompt it waits at (the test's own deadline)."""
    assert process.stdout is not None
    seen, deadline = b"", time.monotonic() + within
    while not seen.endswith(ending):
        left = deadline - time.monotonic()
        assert left > 0, seen
        if select.select([process.stdout], [], [], left)[0]:
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, seen  # the chat ended before its prompt
            seen += chunk
    return seen


def test_ctrl_c_at_the_prompt_ends_the_chat_at_once_cleanly(here: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "chat", "--demo"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=here,
    )  # fmt: skip
    try:
        assert b"How may I help you" in _read_until(process, b"> ", within=60)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends; stdin stays open
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == b"\ngoodbye\n"
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
