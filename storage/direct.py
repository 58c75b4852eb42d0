"""One row read by the driver itself, for a question asked of every message a bot gets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

READS_ALONE = "reads_alone"  # in a session's info: its connection reads in autocommit

_Binds = list[tuple[str, Callable[[Any], Any] | None]]  # in order, with their conversion
_Compiled = tuple[str, _Binds, dict[str, Any]]


class OneRow:
    """A Core statement compiled once per database kind (SQLAlchemy's types convert its
    values), run on the driver's own connection when the session reads alone: one hand-off
    to aiosqlite's thread where SQLAlchemy's cursor takes four (open, execute, fetch,
    close); asyncpg keeps it prepared, one round trip. In a transaction's session it runs
    as any other statement."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert compiled.positiontup is not None  # both drivers take their values in order
            binds: _Binds = [
                (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in compiled.positiontup
            ]
            fixed = {
                name: bind.value for name, bind in compiled.binds.items() if not bind.required
            }
            found = self._compiled[dialect.name] = (compiled.string, binds, fixed)
        return found

    async def first(self, session: AsyncSession, given: Mapping[str, Any]) -> Sequence[Any]:
        """The statement's first row (it must have one), for the values `given` by name. A
        session that reads alone never begins: a connection of its engine, taken and given
        back (no transaction of SQLAlchemy's, none of the ORM's work)."""
        if not session.info.get(READS_ALONE):
            return (await session.execute(self.statement, dict(given))).one()
        engine = session.bind
        assert isinstance(engine, AsyncEngine)
        sql, binds, fixed = self._for(engine.dialect)
        named = {**fixed, **given}
        values = [named[name] if to_db is None else to_db(named[name]) for name, to_db in binds]
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            if engine.dialect.name == "sqlite":
                return (await driver.execute_fetchall(sql, values))[0]
            return await driver.fetchrow(sql, *values)
