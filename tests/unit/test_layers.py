"""Imports point one way (the design's "The house"), read from the source with `ast`.

Parsing, not importing: an import runs the module and everything it pulls in, and a module
already imported by another test would hide where an import comes from. Imports under
`if TYPE_CHECKING:` count like any other (they tie a layer to another's names all the
same).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHELL_STORAGE_AND_PLATFORMS = (
    "handlers", "bot", "scheduler", "storage", "sqlalchemy", "telegram", "twilio", "httpx",
)  # fmt: skip


@dataclass(frozen=True)
class Import:
    """One import statement's module (absolute) and names, where it is, and whether only the
    type checker sees it."""

    module: str
    names: tuple[str, ...]  # what `from module import ...` takes; () for `import module`
    line: int
    typing_only: bool

    def of(self, packages: tuple[str, ...]) -> str | None:
        """The module it takes from one of `packages`, if any (`from bot import engine` takes
        "bot.engine")."""
        for module in (self.module, *(f"{self.module}.{name}" for name in self.names)):
            if any(module == p or module.startswith(f"{p}.") for p in packages):
                return module
        return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a `from ... import` names: `from .. import x` in package "a.b" names "a"."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    return ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [node.module])])


def imports(source: str, package: str) -> list[Import]:
    """Every import in `source`, a module of `package` ("services"), in any block."""
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, (), node.lineno, typing_only) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names if a.name != "*")
            found.append(Import(_absolute(node, package), names, node.lineno, typing_only))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(source), False)
    return found


def offending(
    folder: str,
    forbidden: tuple[str, ...],
    exempt: Callable[[str, Import], bool] = lambda *_: False,
) -> list[str]:
    """`file:line imports module` for every import in `folder` from a `forbidden` package but
    those `exempt(file, import)` allows."""
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no module under {folder}/"
    found = []
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        package = ".".join(path.relative_to(ROOT).parent.parts)
        for each in imports(path.read_text(encoding="utf-8"), package):
            module = each.of(forbidden)
            if module is not None and not exempt(name, each):
                found.append(f"{name}:{each.line} imports {module}")
    return found


def test_the_check_reads_every_form_of_import() -> None:
    source = (
        "import twilio.rest, json\n"
        "from bot import engine\n"
        "from . import wording\n"
        "from ..program import *\n"
        "if TYPE_CHECKING:\n"
        "    from storage.models import Member\n"
        "else:\n"
        "    import httpx\n"
        "def later() -> None:\n"
        "    from scheduler.worker import run\n"
    )

    found = imports(source, "loyalty.inner")

    assert [(i.module, i.names, i.line, i.typing_only) for i in found] == [
        ("twilio.rest", (), 1, False),
        ("json", (), 1, False),
        ("bot", ("engine",), 2, False),
        ("loyalty.inner", ("wording",), 3, False),
        ("loyalty.program", (), 4, False),
        ("storage.models", ("Member",), 6, True),
        ("httpx", (), 8, False),
        ("scheduler.worker", ("run",), 10, False),
    ]
    assert found[2].of(("bot.engine",)) == "bot.engine"
    assert found[2].of(("bot.channels",)) is None
    assert found[7].of(("scheduler",)) == "scheduler.worker"


def test_the_rules_import_no_shell_no_storage_and_no_platform() -> None:
    found = offending("loyalty", (*SHELL_STORAGE_AND_PLATFORMS, "services"))
    assert not found, "\n".join(found)


def test_the_services_import_no_shell_no_storage_and_no_platform() -> None:
    found = offending("services", SHELL_STORAGE_AND_PLATFORMS)
    assert not found, "\n".join(found)


def test_the_scheduler_imports_no_handler() -> None:
    found = offending("scheduler", ("handlers",))
    assert not found, "\n".join(found)


def test_the_scheduler_imports_nothing_of_the_shell() -> None:
    found = offending("scheduler", ("bot",))
    assert not found, "\n".join(found)


def test_only_the_cli_and_the_bootstrap_start_the_scheduler() -> None:
    found = offending(
        "bot", ("scheduler",), lambda name, _: name in ("bot/cli/processes.py", "bot/bootstrap.py")
    )
    assert not found, "\n".join(found)


def test_the_handlers_import_no_storage_and_no_platform() -> None:
    found = offending("handlers", ("storage", "sqlalchemy", "bot.channels"))
    assert not found, "\n".join(found)


LONGEST_MODULE, LONGEST_FUNCTION = 400, 80  # lines: a module to read at once, a step to follow
MEASURED = ("bot", "handlers", "loyalty", "services", "scheduler", "storage", "locales")


def too_long(folder: str, root: Path = ROOT) -> list[str]:
    """Modules over LONGEST_MODULE lines and functions over LONGEST_FUNCTION in `folder`
    (the migrations aside: each is a snapshot of the schema, written once)."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if "/migrations/" in name:
            continue
        source = path.read_text(encoding="utf-8")
        if (lines := len(source.splitlines())) > LONGEST_MODULE:
            found.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST_FUNCTION:
                    found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_the_size_check_finds_a_long_module_and_a_long_function(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    body = "\n".join(f"    x{n} = {n}" for n in range(LONGEST_FUNCTION))
    (tmp_path / "pkg" / "short.py").write_text(f"def short() -> None:\n{body[:-12]}\n")
    (tmp_path / "pkg" / "long.py").write_text(f"def long() -> None:\n{body}\n" + "\n" * 400)
    assert too_long("pkg", tmp_path) == [
        "pkg/long.py: 481 lines", "pkg/long.py:1 long: 81 lines",
    ]  # fmt: skip


@pytest.mark.parametrize("folder", MEASURED)
def test_no_module_or_function_is_too_long_to_read(folder: str) -> None:
    found = too_long(folder)
    assert not found, "\n".join(found)


def _repositories() -> frozenset[str]:
    """The unit of work's repositories, as loyalty/stores.py names them."""
    tree = ast.parse((ROOT / "loyalty" / "stores.py").read_text(encoding="utf-8"))
    unit = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "UnitOfWork")
    return frozenset(
        n.target.id for n in unit.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    )  # fmt: skip


REPOSITORIES = _repositories()


def repository_calls(folder: str, root: Path = ROOT) -> list[str]:
    """Calls of a repository's method (`uow.members.get(...)`, `turn.uow.outbox.add(...)`)
    in `folder`: only services call repositories."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            match node:
                case ast.Call(
                    func=ast.Attribute(value=ast.Attribute(attr=repository, value=held))
                ):
                    unit = (
                        held.attr if isinstance(held, ast.Attribute) else getattr(held, "id", "")
                    )
                    if unit == "uow" and repository in REPOSITORIES:
                        where = path.relative_to(root).as_posix()
                        found.append(f"{where}:{node.lineno} uow.{repository}")
    return found


def test_the_repository_check_finds_a_call(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "shell.py").write_text(
        "async def f(uow, turn):\n    await uow.members.get(1)\n    await turn.uow.outbox.add(2)\n"
        "    await uow.commit()\n    await services.members.get(uow, 1)\n"
    )
    assert repository_calls("pkg", tmp_path) == [
        "pkg/shell.py:2 uow.members", "pkg/shell.py:3 uow.outbox",
    ]  # fmt: skip


@pytest.mark.parametrize("folder", ["bot", "handlers", "scheduler"])
def test_only_the_services_call_repositories(folder: str) -> None:
    found = repository_calls(folder)
    assert not found, "\n".join(found)
