"""Open CSV (plain or gzip) and XLSX files as header + rows of text, whatever their encoding and delimiter."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass

from charset_normalizer import from_bytes

from interschool.registry.importing.records import FileSummary, ImportFileError, Progress, Source

# Single-byte legacy encodings we accept; detection chooses among them when a file is not UTF-8.
LEGACY_ENCODINGS: tuple[str, ...] = ("cp1252", "cp1251", "cp1255", "cp1256")
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", *LEGACY_ENCODINGS)
DELIMITERS: tuple[str, ...] = (",", ";", "\t")
_SNIFF_BYTES = 256 * 1024
PROGRESS_EVERY = 1000
_XLSX_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Table:
    """A file opened for reading: its header and (row number, cells) pairs; the header is row 1."""

    name: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str = ""
    delimiter: str = ""


def read_bytes(source: Source) -> bytes:
    with open(source.path, "rb") as handle:
        data = handle.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ImportFileError(source.name, f"the gzip file is damaged ({exc})") from exc
    return data


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else the likeliest legacy code page."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = from_bytes(data[:_SNIFF_BYTES], cp_isolation=list(LEGACY_ENCODINGS)).best()
    return best.encoding if best is not None and best.encoding in LEGACY_ENCODINGS else "cp1252"


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields (comma on a tie)."""
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def normalise_encoding(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError as exc:
        raise ImportFileError("", f"unknown encoding {name!r}; use one of {', '.join(ENCODINGS)}") from exc
    return {"utf-8": "utf-8", "utf_8_sig": "utf-8-sig"}.get(codec, codec)


def open_table(source: Source, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    data = read_bytes(source)
    if data[:4] == _XLSX_MAGIC:
        return _open_xlsx(source, data)
    return _open_csv(source, data, encoding=encoding, delimiter=delimiter)


def _open_csv(source: Source, data: bytes, *, encoding: str | None, delimiter: str | None) -> Table:
    chosen = normalise_encoding(encoding) if encoding else detect_encoding(data)
    if chosen == "utf-8" and data.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        row, column, value = _undecodable_cell(data, exc.start, chosen, delimiter)
        raise ImportFileError(
            source.name,
            f"the file is not valid {chosen} (byte {exc.start}, row {row}); choose its encoding with "
            "--encoding",
            column,
            row=row,
            value=value,
        ) from exc
    if "\x00" in text:
        raise ImportFileError(source.name, "the file contains NUL bytes: it is not a text (CSV) file")
    sep = delimiter or detect_delimiter(text)
    if sep not in DELIMITERS:
        raise ImportFileError(source.name, f"unsupported delimiter {sep!r}; use comma, semicolon or tab")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError(source.name, "the file is empty") from exc
    except csv.Error as exc:
        raise ImportFileError(source.name, f"the header cannot be read ({exc})") from exc
    header = [h.strip() for h in header]

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(source.name, f"row {number + 1} cannot be read ({exc})") from exc
            number += 1
            if not cells or all(not c.strip() for c in cells):
                continue  # blank lines are not rows
            yield number, cells

    return Table(source.name, header, rows(), encoding=chosen, delimiter=sep)


def _undecodable_cell(data: bytes, start: int, encoding: str, delimiter: str | None) -> tuple[int, str, str]:
    """The row, column and cell text (undecodable bytes shown as \ufffd) of the byte at ``start``."""
    prefix = data[:start].decode(encoding, errors="replace")
    sep = delimiter or detect_delimiter(prefix)
    if sep not in DELIMITERS:
        sep = ","
    try:
        rows = list(csv.reader(io.StringIO(prefix, newline=""), delimiter=sep))
    except csv.Error:
        return 1, "", ""
    if not rows or prefix.endswith(("\n", "\r")):
        rows.append([""])  # the byte starts a new row
    row, cells = len(rows), rows[-1] or [""]
    end = start
    while end < len(data) and data[end : end + 1] not in {sep.encode(), b"\n", b"\r"}:
        end += 1
    value = cells[-1] + data[start:end].decode(encoding, errors="replace")
    header = rows[0] if len(rows) > 1 else []
    index = len(cells) - 1
    column = header[index].strip() if index < len(header) else ""
    return row, column, value[:200]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _open_xlsx(source: Source, data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(source.name, f"the XLSX workbook cannot be opened ({exc})") from exc
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(v).strip() for v in next(values)]
    except StopIteration as exc:
        raise ImportFileError(source.name, "the first sheet is empty") from exc
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(values, start=2):
            cells = [_cell_text(v) for v in row[: len(header)]]
            if all(not c.strip() for c in cells):
                continue
            yield number, cells
        workbook.close()

    return Table(source.name, header, rows(), encoding="xlsx", delimiter="")


class PaddedRows:
    """Row iteration shared by the format parsers: counts rows, reports progress, pads short rows."""

    progress: Progress
    read: int

    def rows(self, table: Table, summary: FileSummary) -> Iterator[tuple[int, list[str]]]:
        """The table's rows, each padded with empty cells to one more than the header (see ``index``)."""
        width = len(table.header) + 1
        progress, every = self.progress, PROGRESS_EVERY
        read = self.read
        count = 0
        for number, cells in table.rows:
            count += 1
            if (read + count) % every == 0:
                progress(read + count)
            missing = width - len(cells)
            if missing == 1:
                cells.append("")
            elif missing > 0:
                cells.extend([""] * missing)
            yield number, cells
        summary.rows += count
        self.read += count
