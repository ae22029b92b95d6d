"""Fast inserts for imports: one executemany per table, values adapted by each field for the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Field

_BATCH = 5000


def _fields(model: type[models.Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    fields = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field):
            raise TypeError(f"{model.__name__}.{name} is not a concrete field")
        fields.append(field)
    return fields


def _quote(name: str | None) -> str:
    if not name:
        raise ValueError("a table or column without a name")
    return connection.ops.quote_name(name)


def bulk_insert(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT the rows (values in ``field_names`` order; foreign keys by id) without building models."""
    fields = _fields(model, field_names)
    adapters = [
        (lambda v, f=f: f.get_db_prep_save(v, connection)) if isinstance(f, models.JSONField) else None
        for f in fields
    ]
    columns = ", ".join(_quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = _quote(model._meta.db_table)
    # Only quoted table and column names of our own models are interpolated; values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([a(v) if a else v for a, v in zip(adapters, row, strict=True)])
            if len(batch) >= _BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def bulk_insert_returning(
    model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Like ``bulk_insert`` but returns the new primary keys, in the order of ``rows``.

    Multi-row ``INSERT … RETURNING``, which both SQLite (3.35+) and PostgreSQL answer in the order of
    the VALUES, as Django's own ``bulk_create`` relies on.
    """
    fields = _fields(model, field_names)
    json_fields = [isinstance(f, models.JSONField) for f in fields]
    columns = ", ".join(_quote(f.column) for f in fields)
    table = _quote(model._meta.db_table)
    pk = _quote(model._meta.pk.column if model._meta.pk else None)
    limit = connection.features.max_query_params or 30000
    per_batch = max(1, min(1000, limit // len(fields)))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            params: list[Any] = []
            for row in batch:
                for field, is_json, value in zip(fields, json_fields, row, strict=True):
                    params.append(field.get_db_prep_save(value, connection) if is_json else value)
            # Only quoted names of our own models are interpolated; values are parameters.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(batch))} RETURNING {pk}"  # noqa: S608
            cursor.execute(sql, params)
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def bulk_update_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """UPDATE each row by primary key: rows are (pk, value, …) with values in ``field_names`` order."""
    fields = _fields(model, field_names)
    json_fields = [isinstance(f, models.JSONField) for f in fields]
    table = _quote(model._meta.db_table)
    pk = _quote(model._meta.pk.column if model._meta.pk else None)
    sets = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608 - names of our own models only
    params = [
        [
            *(
                f.get_db_prep_save(v, connection) if j else v
                for f, j, v in zip(fields, json_fields, row[1:], strict=True)
            ),
            row[0],
        ]
        for row in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    return len(params)
