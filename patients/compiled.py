"""Reads compiled to SQL once per process and run again for another infant, user or clinic.

Django compiles a queryset to SQL every time it is evaluated. For the short reads every page
makes (the caller's roles, an infant's open alerts and messages, its data version) compiling
costs the process more than the database spends answering: about a millisecond of the ORM's
Python against a tenth of that on the database (docs/BENCHMARKS.md, staff infant page). Django
keeps no compiled statements and no maintained package keeps them for an arbitrary queryset (the
caching packages keep results, which these reads must not reuse), so this module does: the
queryset is built once with a stand-in key for each value that changes, compiled for the
connection's database, and the stand-ins' places among the parameters are remembered; a run puts
the real keys in those places and converts the rows as Django's own ``values_list`` would.

Only what can be compiled ahead belongs here: a ``values_list`` queryset whose shape does not
depend on the values (keys compared with ``=``, never ``None``), and nothing read at build time
that changes (the clock, settings a test overrides). The rows come back as tuples.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Field, QuerySet


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    #: For each value: the field that prepares it and its places among ``params``.
    places: tuple[tuple[str, Field, tuple[int, ...]], ...]
    #: Django's converters of each column that has any, by position: (converters, expression).
    converters: dict[int, tuple[list[Callable], Any]]


class CompiledRead:
    """``build(**stand_ins)`` returns the queryset; each keyword names a key and the model field
    that holds it (``infant=Infant._meta.pk``). ``rows(infant=...)`` runs it for a real key."""

    def __init__(self, build: Callable[..., QuerySet], **keys: Field) -> None:
        self._build = build
        self._keys = keys
        self._statements: dict[str, _Statement] = {}
        self._lock = threading.Lock()

    def rows(self, **values: Any) -> list[tuple]:
        statement = self._statement()
        params = list(statement.params)
        for name, field, places in statement.places:
            value = values[name]
            if value is None:
                raise ValueError(f"{name} is None: a compiled read compares keys with =")
            prepared = field.get_db_prep_value(value, connection)
            for place in places:
                params[place] = prepared
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.converters:
            rows = [_converted(row, statement.converters) for row in rows]
        return rows

    def _statement(self) -> _Statement:
        statement = self._statements.get(connection.vendor)
        if statement is None:
            with self._lock:
                statement = self._statements.get(connection.vendor) or self._compile()
                self._statements[connection.vendor] = statement
        return statement

    def _compile(self) -> _Statement:
        # Stand-ins no real row has: the version-1 UUIDs 00000000-...-000n can never be drawn.
        stand_ins = {name: uuid.UUID(int=n + 1) for n, name in enumerate(self._keys)}
        queryset = self._build(**stand_ins)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        places = []
        for name, field in self._keys.items():
            prepared = field.get_db_prep_value(stand_ins[name], connection)
            found = tuple(i for i, param in enumerate(params) if param == prepared)
            if not found:
                raise ValueError(f"the compiled read does not use its key {name!r}")
            places.append((name, field, found))
        expressions = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Statement(
            sql=sql,
            params=tuple(params),
            places=tuple(places),
            converters=compiler.get_converters(expressions),
        )


def _converted(row: tuple, converters: dict[int, tuple[list[Callable], Any]]) -> tuple:
    # As `SQLCompiler.apply_converters`, with this thread's connection rather than the one the
    # statement was compiled on.
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return tuple(values)
