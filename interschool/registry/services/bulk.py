"""Fast writes for imports without building model instances.

PostgreSQL gets ``COPY … FROM STDIN`` (primary keys reserved from the table's sequence first, updates
through a temporary table); SQLite gets ``executemany`` and multi-row ``INSERT … RETURNING``. Only quoted
names of our own models are interpolated into SQL; every value travels as a parameter or COPY data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Field

_BATCH = 5000
# Updates of more rows than this go through a temporary table on PostgreSQL.
_COPY_UPDATE_FROM = 200


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


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _pk_column(model: type[models.Model]) -> str:
    return _quote(model._meta.pk.column if model._meta.pk else None)


def _prepared(fields: Sequence[Field[Any, Any]], rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """Rows with JSON values made ready for the database (JSON text for COPY, adapted values otherwise)."""
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    copy = _postgres()
    for row in rows:
        values = list(row)
        for i in json_at:
            if copy:
                values[i] = None if values[i] is None else json.dumps(values[i])
            else:
                values[i] = fields[i].get_db_prep_save(values[i], connection)
        yield values


def _copy(table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def bulk_insert(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT the rows (values in ``field_names`` order; foreign keys by id)."""
    fields = _fields(model, field_names)
    columns = ", ".join(_quote(f.column) for f in fields)
    table = _quote(model._meta.db_table)
    if _postgres():
        return _copy(table, columns, _prepared(fields, rows))
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in _prepared(fields, rows):
            batch.append(row)
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
    """Like ``bulk_insert`` but returns the new primary keys, in the order of ``rows``."""
    if not rows:
        return []
    fields = _fields(model, field_names)
    table = _quote(model._meta.db_table)
    pk = _pk_column(model)
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column if model._meta.pk else "id", len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join([pk, *(_quote(f.column) for f in fields)])
        _copy(table, columns, ([i, *row] for i, row in zip(ids, _prepared(fields, rows), strict=True)))
        return ids
    # SQLite answers a multi-row INSERT … RETURNING in the order of the VALUES (Django relies on it too).
    columns = ", ".join(_quote(f.column) for f in fields)
    limit = connection.features.max_query_params or 30000
    per_batch = max(1, min(1000, limit // len(fields)))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    prepared = list(_prepared(fields, rows))
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), per_batch):
            batch = prepared[start : start + per_batch]
            values = ", ".join([one] * len(batch))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {pk}"  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def bulk_update_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """UPDATE each row by primary key: rows are (pk, value, …) with values in ``field_names`` order."""
    fields = _fields(model, field_names)
    table = _quote(model._meta.db_table)
    pk = _pk_column(model)
    listed = list(rows)
    prepared = [
        [row[0], *values]
        for row, values in zip(listed, _prepared(fields, (r[1:] for r in listed)), strict=True)
    ]
    if not prepared:
        return 0
    columns = [_quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        if _postgres() and len(prepared) > _COPY_UPDATE_FROM:
            temp = _quote(f"bulk_update_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {pk}, {', '.join(columns)} FROM {table} WITH NO DATA"
            )
            _copy(temp, ", ".join([pk, *columns]), prepared)
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {temp} AS u WHERE t.{pk} = u.{pk}")  # noqa: S608
            cursor.execute(f"DROP TABLE {temp}")
        else:
            sets = ", ".join(f"{c} = %s" for c in columns)
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(sql, [[*row[1:], row[0]] for row in prepared])
    return len(prepared)
