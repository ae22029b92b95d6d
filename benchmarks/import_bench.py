"""Benchmark of the England import (KS2 + KS4 + KS5 results) against PostgreSQL COPY of the same rows.

A fresh PostgreSQL database (on a throw-away server, or on the server of DATABASE_URL when it is set) is
migrated, a network is created and the three DfE results files of ../shared/data are imported through
``import_create`` + ``import_run``: full validation, the write transaction and the statistics recompute that
``import_run`` ends with. The same files are then imported again (nothing changes). The reference, measured in
the same run on the same server, loads the same rows with ``COPY ... FROM STDIN (FORMAT csv)`` into plain
tables of text columns. Prints one JSON object; ``ratio`` is seconds / reference seconds, as in generate.py.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gzip
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from the repository root: make the package importable without installing it.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import Postgres  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = ("eng_ks2_results_2018_19_geo", "eng_ks4_results_2018_19_geo", "eng_ks5_results_2018_19_geo")
TARGET_ROWS_PER_SECOND = 5000


def _data_files(folder: Path) -> list[Path]:
    paths = [folder / f"{name}.csv.gz" for name in FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(
            f"import_bench: the England data files are not in {folder} (missing {', '.join(missing)}); "
            "they live in ../shared/data next to the repository, or give --data DIR"
        )
    return paths


class PhaseTimer:
    """Wraps module functions so that each call's duration is added to a named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, attribute: str, phase: str) -> None:
        original = getattr(module, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start

        setattr(module, attribute, timed)
        self._undo.append((module, attribute, original))

    def reset(self) -> None:
        self.seconds.clear()

    def restore(self) -> None:
        for module, attribute, original in reversed(self._undo):
            setattr(module, attribute, original)
        self._undo.clear()


def _setup_django(url: str, data_dir: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["INTERSCHOOL_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "interschool.config.settings"
    import django

    django.setup()


def _import_once(network: Any, uploads: list[Any], timer: PhaseTimer) -> dict[str, Any]:
    from interschool.registry.services.imports import import_create, import_run

    timer.reset()
    start = time.perf_counter()
    run = import_create(actor="cli", network=network, format="england", files=uploads)
    run = import_run(run, actor="cli")
    seconds = time.perf_counter() - start
    if run.status != "committed":
        reasons = [f"{r['file']} row {r['row']}: {r['reason']}" for r in run.rejections[:5]]
        raise SystemExit(f"import_bench: the import was {run.status}: {run.error or reasons}")
    phases = dict(timer.seconds)
    # import_run skips the recompute when the import wrote nothing (an unchanged re-import).
    recompute_ran = "recompute" in phases
    recompute = phases.get("recompute", 0.0)
    rows = run.summary["rows"]
    phases["other"] = seconds - sum(phases.values())
    return {
        "rows": rows,
        "imported": run.summary["imported"],
        "skipped": run.summary["skipped"],
        "organisations": run.summary["organisations"],
        "written": run.summary.get("written", {}),
        "recompute_ran": recompute_ran,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "seconds_without_recompute": round(seconds - recompute, 3),
        "rows_per_second_without_recompute": round(rows / (seconds - recompute)),
        "phases_seconds": {k: round(v, 3) for k, v in phases.items()},
    }


def _copy_reference(url: str, paths: list[Path], attempt: int) -> tuple[float, int]:
    """Decompress each file and COPY it, header skipped, into a table of text columns; one transaction."""
    import psycopg

    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        for index, path in enumerate(paths):
            data = gzip.decompress(path.read_bytes())
            header = next(csv.reader(io.StringIO(data[: data.index(b"\n")].decode("utf-8"))))
            table = f"copy_ref_{attempt}_{index}"
            columns = ", ".join(f"c{i} text" for i in range(len(header)))
            conn.execute(f"CREATE TABLE {table} ({columns})")
            with conn.cursor().copy(
                f"COPY {table} FROM STDIN (FORMAT csv, HEADER true, ENCODING 'UTF8')"
            ) as copy:
                copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - start
        rows = 0
        for index in range(len(paths)):
            row = conn.execute(f"SELECT count(*) FROM copy_ref_{attempt}_{index}").fetchone()  # noqa: S608
            rows += row[0] if row else 0
        for index in range(len(paths)):
            conn.execute(f"DROP TABLE copy_ref_{attempt}_{index}")
        conn.commit()
    return seconds, rows


def _profiled(function: Callable[[], Any], path: str | None) -> Any:
    if not path:
        return function()
    profile = cProfile.Profile()
    try:
        return profile.runcall(function)
    finally:
        profile.dump_stats(path)
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of the DfE files (default {DATA})")
    parser.add_argument("--reference-repeats", type=int, default=3, help="COPY runs; the fastest counts")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the first import under cProfile, write the stats to FILE and print the top to stderr",
    )
    args = parser.parse_args(argv)
    paths = _data_files(args.data)

    postgres = Postgres(os.environ.get("DATABASE_URL") or None)
    try:
        with tempfile.TemporaryDirectory(prefix="interschool-import-bench-") as tmp:
            _setup_django(postgres.url, Path(tmp))
            from django.core.management import call_command
            from django.db import connection

            from interschool.core.services.networks import network_create
            from interschool.registry.importing import formats
            from interschool.registry.services import imports, statistics
            from interschool.registry.services.imports import UploadedFile

            call_command("migrate", interactive=False, verbosity=0)
            network = network_create(actor="cli", name="Import benchmark", slug="import-bench", country="GB")
            uploads = [UploadedFile(p.name, p.read_bytes()) for p in paths]

            timer = PhaseTimer()
            timer.wrap(formats, "parse", "parse_and_validate")
            timer.wrap(imports, "_check_against_database", "check_against_database")
            timer.wrap(imports, "_write", "write")
            timer.wrap(statistics, "registry_recompute", "recompute")
            first = _profiled(lambda: _import_once(network, uploads, timer), args.profile)
            if not first["recompute_ran"]:
                print("import_bench: warning: the recompute was not seen (was it renamed?)", file=sys.stderr)
            again = _import_once(network, uploads, timer)
            timer.restore()
            connection.close()

            references = [
                _copy_reference(postgres.url, paths, attempt)
                for attempt in range(max(1, args.reference_repeats))
            ]
            reference_seconds, reference_rows = min(references)
            server = _server_version(postgres.url)
    finally:
        postgres.close()

    if reference_rows != first["rows"]:
        print(
            f"import_bench: warning: COPY loaded {reference_rows} rows, the import read {first['rows']}",
            file=sys.stderr,
        )
    result = {
        "benchmark": "registry.import england KS2+KS4+KS5",
        "files": [p.name for p in paths],
        "database": "postgresql " + server + (" (throw-away server)" if postgres.throwaway else ""),
        "import": first,
        "reimport_unchanged": again,
        "reference": "PostgreSQL COPY (FORMAT csv) of the same decompressed files into text columns",
        "reference_rows": reference_rows,
        "reference_seconds": round(reference_seconds, 3),
        "reference_rows_per_second": round(reference_rows / reference_seconds),
        "reference_seconds_all": [round(s, 3) for s, _rows in references],
        "ratio": round(first["seconds"] / reference_seconds, 1),
        "ratio_without_recompute": round(first["seconds_without_recompute"] / reference_seconds, 1),
        "reimport_ratio": round(again["seconds"] / reference_seconds, 1),
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "meets_target": first["rows_per_second"] >= TARGET_ROWS_PER_SECOND,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, sort_keys=False))
    return 0


def _server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


if __name__ == "__main__":
    raise SystemExit(main())
