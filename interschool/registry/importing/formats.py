"""Dispatch to the parser of each import format."""

from __future__ import annotations

import importlib

from interschool.registry.importing.records import (
    ParseOptions,
    ParseResult,
    Progress,
    Source,
    no_progress,
)

FORMAT_MODULES: dict[str, str] = {
    "nyc": "interschool.registry.importing.nyc",
    "england": "interschool.registry.importing.england",
    "csv": "interschool.registry.importing.mapped",
    "xlsx": "interschool.registry.importing.mapped",
}


def parse(
    format_code: str, sources: list[Source], options: ParseOptions, progress: Progress = no_progress
) -> ParseResult:
    if format_code not in FORMAT_MODULES:
        raise ValueError(f"unknown format {format_code!r}; use one of {', '.join(FORMAT_MODULES)}")
    module = importlib.import_module(FORMAT_MODULES[format_code])
    result: ParseResult = module.parse(sources, options, progress)
    return result


def count_rows(sources: list[Source]) -> int:
    """A quick estimate of the number of data rows (lines minus headers), for progress bars."""
    from interschool.registry.importing.reading import read_bytes

    total = 0
    for source in sources:
        data = read_bytes(source)
        if data[:4] == b"PK\x03\x04":
            total += max(1, len(data) // 60)
        else:
            total += max(0, data.count(b"\n") - 1)
    return total
