"""Rows streamed into PostgreSQL with COPY, with their creation row in the history table.

The benchmark cohorts run to tens of millions of rows. Building model instances and letting
Django compile parameters for each would take most of an hour; here a row is a list filled from
a per-model template of column defaults and streamed with psycopg's COPY, which is what
`patients.services.bulk.insert_with_history` does for the product's own cohort generator, minus
the model instances. Columns come from each model's metadata, so a new field with a default needs
no change here. No signal runs and nothing is validated in Python: the rows are valid by
construction and the database constraints check every one of them at commit.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import os
import uuid
from collections.abc import Iterable

from django.db import connection, models
from psycopg.types.json import Jsonb


def new_id() -> str:
    """A random (version 4) UUID in its text form: a fifth of the cost of uuid.uuid4(), which
    adds up over tens of millions of rows."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _default(field: models.Field, now: datetime.datetime):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        value = field.get_default()
    elif field.null:
        value = None
    elif field.empty_strings_allowed:
        value = ""
    else:
        value = None
    if isinstance(field, models.JSONField) and value is not None:
        value = Jsonb(value)
    return value


def history_model(model: type[models.Model]) -> type[models.Model] | None:
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, manager).model if manager else None


class Rows:
    """The rows of one model waiting to be written, and their history rows."""

    def __init__(self, model: type[models.Model], *, now: datetime.datetime, reason: str) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in fields]
        self.slot = {f.attname: i for i, f in enumerate(fields)}
        self.json_slots = {
            f.attname: i for i, f in enumerate(fields) if isinstance(f, models.JSONField)
        }
        self.template = [_default(f, now) for f in fields]
        self.rows: list[list] = []
        self.written = 0

        self.history = history_model(model)
        self.history_columns: list[str] = []
        self.history_sources: list[tuple[bool, object]] = []
        if self.history is not None:
            extra = {
                "history_date": now,
                "history_type": "+",
                "history_change_reason": reason,
                "history_user_id": None,
            }
            for f in self.history._meta.concrete_fields:
                if f.primary_key and isinstance(f, models.AutoField):
                    continue
                self.history_columns.append(f.column)
                if f.attname in self.slot:
                    self.history_sources.append((True, self.slot[f.attname]))
                else:
                    self.history_sources.append((False, extra[f.attname]))

    def add(self, **values) -> None:
        row = self.template.copy()
        slot = self.slot
        for name, value in values.items():
            if name in self.json_slots and value is not None and not isinstance(value, Jsonb):
                value = Jsonb(value)
            row[slot[name]] = value
        self.rows.append(row)

    def flush(self) -> int:
        if not self.rows:
            return 0
        _copy(self.model._meta.db_table, self.columns, self.rows)
        if self.history is not None:
            sources = self.history_sources
            _copy(
                self.history._meta.db_table,
                self.history_columns,
                ([row[v] if from_row else v for from_row, v in sources] for row in self.rows),
            )
        count = len(self.rows)
        self.written += count
        self.rows = []
        return count


# COPY's text format, written here rather than by psycopg's row writer, which adapts value by value
# in Python and was half of the seeding time.
_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_SPECIAL)
    return value


def _other(value) -> str:
    if isinstance(value, Jsonb):
        return _text(json.dumps(value.obj))
    if isinstance(value, enum.Enum):
        return _text(str(value.value))
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return _text(str(value))


_FORMAT = {
    str: _text,
    uuid.UUID: str,
    int: str,
    float: repr,
    decimal.Decimal: str,
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,
    datetime.time: datetime.time.isoformat,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
}


def _line(row) -> str:
    get = _FORMAT.get
    return "\t".join([(get(type(v)) or _other)(v) for v in row]) + "\n"


def _copy(table: str, columns: list[str], rows: Iterable[list]) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
