"""Loading many new rows at once, with their history, for synthetic cohorts and imports.

Django's bulk_create (and simple-history's bulk_create_with_history on top of it) compiles one SQL
parameter per field per row in Python; at a hundred thousand infants that compilation, not the
database, is the whole cost. PostgreSQL's COPY takes rows as they are, so here the rows are
streamed with psycopg's COPY on PostgreSQL and executemany elsewhere. Neither library offers a
COPY path, hence this small module.

Only for inserting new rows built in Python: no signals run, and `full_clean` is the caller's
business (the cohort generator builds valid rows by construction; the database constraints still
check every row).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import connection, models
from psycopg.types.json import Jsonb


def _columns(model: type[models.Model], *, skip_auto_pk: bool) -> list[models.Field]:
    fields = model._meta.concrete_fields
    if skip_auto_pk:
        fields = [f for f in fields if not (f.primary_key and isinstance(f, models.AutoField))]
    return list(fields)


def _write(model: type[models.Model], fields: Sequence[models.Field], rows: list[tuple]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            prepared = [
                tuple(
                    f.get_db_prep_save(value, connection)
                    for f, value in zip(fields, row, strict=True)
                )
                for row in rows
            ]
            # Table and column names come from model metadata, quoted; values are parameters.
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(sql, prepared)


def _row_builder(fields: Sequence[models.Field], extra: dict | None = None):
    """A function from an object to its row, with JSON wrapped for COPY and `extra` overriding."""
    extra = extra or {}
    wrap_json = connection.vendor == "postgresql"
    getters = []
    for f in fields:
        if f.attname in extra:
            getters.append(lambda obj, value=extra[f.attname]: value)
        elif wrap_json and isinstance(f, models.JSONField):
            getters.append(
                lambda obj, name=f.attname: None if (v := getattr(obj, name)) is None else Jsonb(v)
            )
        else:
            getters.append(lambda obj, name=f.attname: getattr(obj, name))
    return lambda obj: tuple(get(obj) for get in getters)


def insert_with_history(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    now: datetime.datetime,
    change_reason: str,
) -> int:
    """Insert `objs` and one creation row each in the model's history table; returns the count."""
    for obj in objs:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                setattr(obj, field.attname, now)
    fields = _columns(model, skip_auto_pk=False)
    _write(model, fields, list(map(_row_builder(fields), objs)))

    history_model = model.history.model  # type: ignore[attr-defined]
    history_fields = _columns(history_model, skip_auto_pk=True)
    extra = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": change_reason,
        "history_user_id": None,
    }
    _write(history_model, history_fields, list(map(_row_builder(history_fields, extra), objs)))
    return len(objs)
