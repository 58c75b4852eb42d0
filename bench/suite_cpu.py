"""Each test's CPU time, for judging the suite's speed on a machine others load too.

The wall clock of a run moves with everyone else's work; the CPU a test costs this process
(set-up, call and teardown, threads included) moves much less. Load it as a plugin, then
sum the files it wrote (one per xdist worker):

    .venv/bin/python -m pytest -p no:cacheprovider -p bench.suite_cpu
    .venv/bin/python -m bench.suite_cpu

Figures and the way they were taken: docs/benchmarks.md, "The test suite's time".
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

OUT = Path(os.environ.get("SUITE_CPU_DIR", "bench/out/suite-cpu"))
SPENT: dict[str, tuple[float, float]] = {}  # node id -> (CPU seconds, wall seconds)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the run's first process: no earlier run's files
        for path in OUT.glob("*.json"):
            path.unlink()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        return (yield)
    finally:
        SPENT[item.nodeid] = (time.process_time() - cpu, time.perf_counter() - wall)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not SPENT:  # the xdist controller runs no test
        return
    OUT.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (OUT / f"{worker}.json").write_text(json.dumps(SPENT), encoding="utf-8")


def kind(node: str) -> str:
    """Which half a test belongs to: the database it ran on, the CLI's, or none."""
    if "postgresql" in node:
        return "postgresql"
    if node.startswith("tests/test_cli.py"):
        return "cli (SQLite)"
    return "sqlite" if "sqlite" in node else "no database"


def main(folder: Path) -> None:
    spent: dict[str, Any] = {}
    for path in sorted(folder.glob("*.json")):
        spent.update(json.loads(path.read_text(encoding="utf-8")))
    cpu: Counter[str] = Counter()
    wall: Counter[str] = Counter()
    for node, (seconds, elapsed) in spent.items():
        cpu[kind(node)] += seconds
        wall[kind(node)] += elapsed
    print(f"{len(spent)} tests: CPU {sum(cpu.values()):.1f} s, wall {sum(wall.values()):.1f} s")
    for name in sorted(cpu):
        print(f"  {name:<12} CPU {cpu[name]:6.1f} s  wall {wall[name]:6.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
