"""Benchmark of a matching run (vertical, default parameters) against the engine alone on the same data.

A region of 25,000 schools is generated with ``interschool generate --years 10 --seed 7`` (or an existing
file is reused with ``--csv``), loaded into a fresh network of a throw-away database through the product's
importer (``import_create`` + ``import_run`` with the canonical mapping, which ends with
``registry_recompute``: classifications and outcome percentiles). The import is not timed.

The product: ``run_create`` then ``run_execute`` in mode vertical with the default parameters, timed from
before ``run_create`` to after ``run_execute`` returns, when the matches, unmatched schools, snapshot and
candidate pairs are stored (``run_execute`` is what the background task calls). The run's own
``summary["seconds"]`` and ``summary["engine_seconds"]`` are reported too, and the product's time is broken
down by wrapping the functions ``run_execute`` calls (reading the registry, the engine, storing and its
parts), without changing the app.

The reference, in the same process on the same data: the engine alone, ``engine_run`` (``match_vertical``)
on inputs read once with ``gather_inputs`` beforehand. Product and engine alternate, ``--repeats`` times
each, with a garbage collection (not timed) before each; the fastest of each counts. Target: the product
adds at most 50 % on top of the engine (``overhead_ratio`` = product seconds / engine seconds - 1 ≤ 0.5).
For a second reference, the engine's own command, ``interschool match-file --mode vertical``, runs on the
same generated file as a separate process (reading the file and computing the percentiles included):
``product_vs_engine_command`` is the product's time over the command's. Prints one JSON object.

SQLite in a temporary data directory by default; ``--postgres`` uses a throw-away PostgreSQL server (or
the server of DATABASE_URL when it is set), with a database of its own, analysed after the import.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from the repository root: make the package importable without installing it.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import Postgres  # noqa: E402
from import_bench import PhaseTimer  # noqa: E402

SLUG = "matching-run-bench"
TARGET_OVERHEAD = 0.5


def _say(message: str) -> None:
    print(f"matching_run_bench: {message}", file=sys.stderr, flush=True)


def _interschool() -> list[str]:
    script = Path(sys.executable).with_name("interschool")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "interschool.cli"]


def _generate(path: Path, schools: int, years: int, seed: int, data_dir: Path) -> None:
    command = [*_interschool(), "generate", "--schools", str(schools), "--years", str(years)]
    command += ["--seed", str(seed), "--out", str(path)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["INTERSCHOOL_DATA_DIR"] = str(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _setup_django(url: str | None, data_dir: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    if url:
        os.environ["DATABASE_URL"] = url
    os.environ["INTERSCHOOL_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "interschool.config.settings"
    import django

    django.setup()


def _load_network(csv_path: Path) -> tuple[Any, dict[str, Any]]:
    """Migrate, create the network and import the file; ``import_run`` ends with ``registry_recompute``."""
    from django.core.management import call_command

    from interschool.core.services.networks import network_create
    from interschool.registry.importing.mapped import CANONICAL_MAPPING
    from interschool.registry.models import Classification
    from interschool.registry.services.imports import UploadedFile, import_create, import_run

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    network = network_create(actor="cli", name="Matching run benchmark", slug=SLUG, country="GB")
    upload = UploadedFile(csv_path.name, csv_path.read_bytes())
    run = import_create(actor="cli", network=network, format="csv", files=[upload], mapping=CANONICAL_MAPPING)
    run = import_run(run, actor="cli")
    if run.status != "committed":
        reasons = [f"{r['file']} row {r['row']}: {r['reason']}" for r in run.rejections[:5]]
        raise SystemExit(f"matching_run_bench: the import was {run.status}: {run.error or reasons}")
    classified = Classification.objects.filter(organisation__network=network).count()
    if not classified:
        raise SystemExit("matching_run_bench: no school was classified after the import")
    return network, {
        "rows_imported": run.summary["imported"],
        "classified": classified,
        "setup_seconds": round(time.perf_counter() - start, 1),
    }


def _timer() -> PhaseTimer:
    """Phases of ``run_execute``, by wrapping the names it looks up in its module (storing's are nested)."""
    from interschool.matching import services
    from interschool.matching.models import MatchingRun

    timer = PhaseTimer()
    timer.wrap(services, "gather_inputs", "read_registry")
    timer.wrap(services, "engine_run", "engine")
    timer.wrap(services, "_store", "store")
    timer.wrap(services, "bulk_insert_returning", "store.insert_matches")
    timer.wrap(services, "bulk_insert", "store.insert_members_and_unmatched")
    timer.wrap(services, "snapshot_encode", "store.snapshot_encode")
    timer.wrap(services, "candidate_table", "store.candidate_table")
    timer.wrap(services, "candidates_encode", "store.candidates_encode")
    timer.wrap(services, "summarise", "store.summarise")
    timer.wrap(MatchingRun, "save", "save_run")  # run_create's insert, and the result's UPDATE
    timer.wrap(services, "progress_update", "progress")
    timer.wrap(services, "progress_finish", "progress")
    return timer


def _product(network: Any, timer: PhaseTimer) -> dict[str, Any]:
    from interschool.matching import services
    from interschool.matching.vocabularies import RunStatus

    timer.reset()
    gc.collect()  # garbage of the previous round is not this run's
    start = time.perf_counter()
    run = services.run_create(actor="cli", network=network, mode="vertical", parameters={})
    created = time.perf_counter()
    run = services.run_execute(run)
    seconds = time.perf_counter() - start
    if run.status != RunStatus.FINISHED:
        raise SystemExit(f"matching_run_bench: the run ended {run.status}: {run.error}")
    phases = dict(timer.seconds)
    store = {k.removeprefix("store."): v for k, v in phases.items() if k.startswith("store.")}
    store["other"] = phases["store"] - sum(store.values())
    parts = {
        "run_create": created - start,
        "read_registry": phases["read_registry"],
        "engine": phases["engine"],
        "store": phases["store"],
        "save_run": phases.get("save_run", 0.0),
        "progress": phases.get("progress", 0.0),
    }
    parts["other"] = seconds - sum(parts.values())  # status UPDATEs, the transactions' commits
    breakdown: dict[str, Any] = {**parts, "store_parts": store}
    return {
        "seconds": seconds,
        "run_seconds": run.summary["seconds"],
        "run_engine_seconds": run.summary["engine_seconds"],
        "matched": run.summary["matched"],
        "total_score": run.summary["total_score"],
        "candidate_pairs": run.summary["candidate_pairs"],
        "snapshot_bytes": len(run.snapshot or b""),
        "candidates_bytes": len(run.candidates or b""),
        "breakdown": breakdown,
    }


def _engine(engine_run: Callable[[Any], Any], inputs: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = engine_run(inputs)
    return time.perf_counter() - start, result


def _engine_command(csv_path: Path, tmp: Path) -> tuple[float, int]:
    """The engine as its own command on the generated file: reading it, computing the outcome
    percentiles, matching and writing the pairs, as a separate process (``docs/matching.md``)."""
    out = tmp / "engine-command-pairs.csv"
    command = [
        *_interschool(),
        "match-file",
        "--schools",
        str(csv_path),
        "--mode",
        "vertical",
        "--out",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, int(summary["matched"])


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 3) if isinstance(value, float) else value


def _profile_run(network: Any, timer: PhaseTimer, path: str) -> None:
    """One more run under cProfile, after the measured ones: stats to ``path``, the top to stderr."""
    profile = cProfile.Profile()
    try:
        profile.runcall(_product, network, timer)
    finally:
        profile.dump_stats(path)
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=25_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--csv",
        type=Path,
        help="the generated region: reused when the file exists, generated there otherwise "
        "(default: generated in a temporary directory)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each, alternating; the fastest counts"
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="after the measured runs, one more product run under cProfile: stats to FILE, top to stderr",
    )
    args = parser.parse_args(argv)

    postgres = Postgres(os.environ.get("DATABASE_URL") or None) if args.postgres else None
    try:
        with tempfile.TemporaryDirectory(prefix="interschool-matching-run-bench-") as tmp:
            data_dir = Path(tmp) / "data"
            csv_path = args.csv or Path(tmp) / f"schools_{args.schools}.csv"
            if csv_path.is_file():
                _say(f"reusing {csv_path}")
            else:
                _say(f"generating {args.schools} schools, {args.years} years, seed {args.seed}")
                _generate(csv_path, args.schools, args.years, args.seed, data_dir)
            _setup_django(postgres.url if postgres else None, data_dir)
            from django.db import connection

            from interschool.core.models import Organisation
            from interschool.matching import services
            from interschool.matching.parameters import parameters_clean

            _say("importing (not timed)")
            network, loaded = _load_network(csv_path)
            if postgres is not None:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # as autovacuum would soon after the import

            # The reference's inputs, read once; then the engine alone on them, exactly as a run calls it.
            from interschool.cli import freeze_heap

            engine_run = services.engine_run
            start = time.perf_counter()
            inputs = services.gather_inputs(network, "vertical", parameters_clean({}))
            gather_seconds = time.perf_counter() - start
            roles = [s.role for s in inputs.schools]

            # As the worker does when it starts (interschool.cli.freeze_heap): the heap of start-up and
            # the import is left out of later garbage collections.
            freeze_heap()
            timer = _timer()
            products: list[dict[str, Any]] = []
            engines: list[float] = []
            engine_matched = None
            for attempt in range(max(1, args.repeats)):
                _say(f"round {attempt + 1}: product, then engine")
                products.append(_product(network, timer))
                seconds, result = _engine(engine_run, inputs)
                engines.append(seconds)
                engine_matched = result.matched
            command_runs = [_engine_command(csv_path, Path(tmp)) for _ in range(max(1, args.repeats))]
            if args.profile:
                _say(f"profiling one more run into {args.profile}")
                _profile_run(network, timer, args.profile)
            timer.restore()
            schools = Organisation.objects.filter(network=network, kind="school").count()
            database = connection.vendor
            connection.close()
    finally:
        if postgres is not None:
            postgres.close()

    best = min(products, key=lambda p: p["seconds"])
    engine_seconds = min(engines)
    if best["matched"] != engine_matched:
        _say(f"warning: the run matched {best['matched']}, the engine alone {engine_matched}")
    overhead = best["seconds"] / engine_seconds - 1
    result_json = {
        "benchmark": "matching run (vertical, default parameters) vs the engine alone",
        "database": database + (" (throw-away server)" if postgres and postgres.throwaway else ""),
        "schools": schools,
        "years": args.years,
        "seed": args.seed,
        **loaded,
        "supported": roles.count("supported"),
        "leaders": roles.count("leader"),
        "left_out": len(inputs.left_out),
        "candidate_pairs": best["candidate_pairs"],
        "matched": best["matched"],
        "engine_matched": engine_matched,
        "product_seconds": round(best["seconds"], 3),
        "product_seconds_all": [round(p["seconds"], 3) for p in products],
        "run_summary_seconds": best["run_seconds"],
        "run_summary_engine_seconds": best["run_engine_seconds"],
        "reference": "engine_run (match_vertical) alone on inputs read once by gather_inputs, same process",
        "engine_seconds": round(engine_seconds, 3),
        "engine_seconds_all": [round(s, 3) for s in engines],
        "gather_inputs_seconds_untimed": round(gather_seconds, 3),
        "overhead_ratio": round(overhead, 3),
        "engine_command": "interschool match-file --schools <the same CSV> --mode vertical",
        "engine_command_seconds": round(min(s for s, _ in command_runs), 3),
        "engine_command_matched": command_runs[0][1],
        "product_vs_engine_command": round(best["seconds"] / min(s for s, _ in command_runs), 3),
        "target_overhead": TARGET_OVERHEAD,
        "meets_target": overhead <= TARGET_OVERHEAD,
        "breakdown_seconds": _rounded(best["breakdown"]),
        "snapshot_bytes": best["snapshot_bytes"],
        "candidates_bytes": best["candidates_bytes"],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result_json, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
