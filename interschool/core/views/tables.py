"""Tables as downloads: a streamed CSV file or an XLSX workbook (openpyxl), for every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file that gives back what is written, so that csv.writer can feed a streamed response."""

    def write(self, value: str) -> str:
        return value


def table_response(rows: Iterable[list[Any]], *, filename: str, kind: str, sheet: str) -> HttpResponseBase:
    """``rows`` (the header first) as ``filename.csv``, streamed, or ``filename.xlsx`` with one sheet."""
    if kind == "csv":
        writer = csv.writer(_Echo())
        response: HttpResponseBase = StreamingHttpResponse(
            (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    from openpyxl import Workbook  # imported here: only XLSX exports pay for it

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
