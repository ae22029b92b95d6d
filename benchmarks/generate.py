"""Benchmark of the synthetic region generator against plain csv.writer output of the same shape."""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

# Run as a script from the repository root: make the package importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interschool.synthetic.region import canonical_columns, region_years, write_region_csv


def _peak_rss_mib() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _constant_rows(rows: int, columns: int, cell: str) -> Iterator[list[str]]:
    row = [cell] * columns
    for _ in range(rows):
        yield row


def _time_generator(path: Path, schools: int, years: int, seed: int) -> tuple[float, int]:
    start = time.perf_counter()
    written = write_region_csv(path, schools=schools, years=years, seed=seed)
    return time.perf_counter() - start, written


def _time_reference(path: Path, rows: int, columns: int, cell: str) -> float:
    # The floor for any generator of this file: csv.writer emitting the same number of cells, with cells
    # as long as the generator's average, and no values to compute.
    start = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(_constant_rows(rows + 1, columns, cell))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also run the generator once more under tracemalloc (slower) and report its peak",
    )
    args = parser.parse_args(argv)

    columns = len(canonical_columns(region_years(args.years)))
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "schools.csv"
        reference = Path(tmp) / "reference.csv"
        # The generator runs first so the process's peak RSS is its own.
        seconds, rows = _time_generator(generated, args.schools, args.years, args.seed)
        peak_rss = _peak_rss_mib()
        size = generated.stat().st_size
        cells = (rows + 1) * columns
        # Average cell length without separators: one comma or newline per cell.
        cell = "x" * max(1, round((size - cells) / cells))
        reference_seconds = _time_reference(reference, rows, columns, cell)
        reference_size = reference.stat().st_size
        traced_peak = None
        if args.trace_memory:
            tracemalloc.start()
            write_region_csv(generated, schools=args.schools, years=args.years, seed=args.seed)
            traced_peak = round(tracemalloc.get_traced_memory()[1] / (1024 * 1024), 1)
            tracemalloc.stop()

    result = {
        "benchmark": "synthetic.write_region_csv",
        "schools": args.schools,
        "years": args.years,
        "seed": args.seed,
        "rows": rows,
        "columns": columns,
        "bytes": size,
        "seconds": round(seconds, 3),
        "reference": "csv.writer, same rows x columns of constant cells of the same average length",
        "reference_bytes": reference_size,
        "reference_seconds": round(reference_seconds, 3),
        "ratio": round(seconds / reference_seconds, 2) if reference_seconds > 0 else None,
        "peak_rss_mib": peak_rss,
        "tracemalloc_peak_mib": traced_peak,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
