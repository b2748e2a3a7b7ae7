"""Loading many new rows at once, with their history, for synthetic cohorts, imports and the
plans of many courses started together.

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

import contextlib
import datetime
import gc
import operator
from collections.abc import Iterator, Sequence

from django.db import connection, models
from psycopg.types.json import Jsonb


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector held off while rows by the hundred thousand are built.

    The rows (dicts, tuples, ids) form no reference cycles, yet each few hundred new objects
    trigger a collection, and as they pile up the collector scans all of them again, several
    times: at a thousand courses that is a sixth of the time. Garbage that does form a cycle in
    the meantime is collected once this ends; reference counting frees everything else as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


def _as_copied(value):
    """A value that every row of a COPY shares, in the text COPY reads. psycopg formats an aware
    datetime in over a microsecond, the slowest of all the types here, and a batch of courses
    writes each row's `created_at`, `updated_at` (and its history row's date) by the hundred
    thousand; formatted once, each is a plain string. Elsewhere the value is unchanged."""
    if (
        connection.vendor == "postgresql"
        and isinstance(value, datetime.datetime)
        and value.tzinfo is not None
    ):
        return value.isoformat()
    return value


def _row_builder(fields: Sequence[models.Field], extra: dict | None = None):
    """A function from an object to its row, with JSON wrapped for COPY and `extra` overriding."""
    extra = {name: _as_copied(value) for name, value in (extra or {}).items()}
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


def _stamp(model: type[models.Model], objs: Sequence[models.Model], now: datetime.datetime) -> None:
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)


def insert_values(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    now: datetime.datetime,
    history: bool = False,
    change_reason: str = "",
    user: models.Model | None = None,
) -> int:
    """Insert rows given as {attname: value}, all with the same keys, every other field taking its
    default; with `history`, one creation row each in the model's history table, by `user`.
    Returns the count.

    For rows by the hundred thousand (the doses and reminders of a clinic's courses): building a
    model instance costs more than writing its row. The columns are written in the order given,
    then the defaults, so a row is one C-level item lookup and two tuple concatenations.
    """
    if not rows:
        return 0
    fields = _columns(model, skip_auto_pk=False)
    if any(isinstance(f, models.JSONField) for f in fields):
        raise ValueError(f"{model.__name__} has JSON fields: use insert_with_history")
    by_name = {f.attname: f for f in fields}
    given = list(rows[0])
    unknown = set(given) - set(by_name)
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    rest = [f for f in fields if f.attname not in given]
    # A fresh value per row where the default is a function (a primary key's uuid4); a constant
    # (or the time of this insert, for auto_now fields) otherwise.
    made = [f for f in rest if f.has_default() and callable(f.default)]
    # A column every row leaves null is not written at all: the database fills it with null, so
    # COPY formats a quarter fewer values for a reminder, whose sending columns start empty. One
    # with a database-side default would take that default instead, so it is written.
    fixed = {}
    for f in rest:
        if f in made:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed[f] = now
        elif (value := f.get_default()) is not None or f.db_default is not models.NOT_PROVIDED:
            fixed[f] = value
    constants = tuple(map(_as_copied, fixed.values()))
    pick = operator.itemgetter(*given)
    makers = [f.default for f in made]
    columns = [*(by_name[name] for name in given), *made, *fixed]

    def value_row(row: dict) -> tuple:
        if len(row) != len(given):
            raise ValueError("every row must give the same fields")
        picked = pick(row)
        if len(given) == 1:
            picked = (picked,)
        return picked + tuple(make() for make in makers) + constants

    values = [value_row(row) for row in rows]
    _write(model, columns, values)
    if history:
        history_model = model.history.model  # type: ignore[attr-defined]
        history_by_name = {f.attname: f for f in _columns(history_model, skip_auto_pk=True)}
        extra = {
            "history_date": now,
            "history_type": "+",
            "history_change_reason": change_reason,
            "history_user_id": user.pk if user is not None else None,
        }
        history_columns = [history_by_name[f.attname] for f in columns] + [
            history_by_name[name] for name in extra
        ]
        tail = tuple(map(_as_copied, extra.values()))
        _write(history_model, history_columns, [row + tail for row in values])
    return len(rows)


def insert_with_history(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    now: datetime.datetime,
    change_reason: str,
    user: models.Model | None = None,
) -> int:
    """Insert `objs` and one creation row each in the model's history table, by `user`; returns
    the count."""
    _stamp(model, objs, now)
    fields = _columns(model, skip_auto_pk=False)
    _write(model, fields, list(map(_row_builder(fields), objs)))

    history_model = model.history.model  # type: ignore[attr-defined]
    history_fields = _columns(history_model, skip_auto_pk=True)
    extra = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": change_reason,
        "history_user_id": user.pk if user is not None else None,
    }
    _write(history_model, history_fields, list(map(_row_builder(history_fields, extra), objs)))
    return len(objs)
