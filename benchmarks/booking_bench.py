"""Benchmark of concurrent bookings of shared resources (PostgreSQL) against plain inserts by the clients.

A fresh database (a throw-away PostgreSQL server, or the server of DATABASE_URL when it is set) is migrated
and given a network, an owner school, ``--resources`` resources shared with the whole network (no opening
hours, no closures, no approval, no notice) and ``--schools`` schools. Then ``--clients`` worker processes
(multiprocessing, "spawn": each sets up Django itself and opens its own connection) run two phases of
``--seconds`` each, all clients starting a phase together. The phases alternate in ``--rounds`` rounds
(booking, then plain inserts), so that a change in the shared machine's speed affects both alike:

1. booking: each client loops over ``booking_request`` (the service behind the booking form) for a random
   resource, a random school and a random slot: a start on a 15-minute grid within ``--weeks`` weeks from
   tomorrow, 30–120 minutes long. Successes and each ``BookingRefused`` (by code) are counted. The resources
   and schools are read once per client, as a request's access check would have read them already. As the
   calendar fills up, more and more attempts are refused for a conflict.
2. the reference: the same clients insert rows of the same shape (resource, organisation, start, end,
   purpose, status) into a plain table with no key, index or constraint (``bench_plain``), one INSERT per
   statement in autocommit, through the same Django connection, as fast as they can.

After each booking phase an SQL query counts the pairs of holding (pending or confirmed) bookings of one
resource that overlap: it must be 0. Prints one JSON object: bookings, refusals by code, attempts and plain
inserts per second; ``ratio`` = booking attempts per second / plain inserts per second (``booked_ratio`` the
same with successful bookings only), over all rounds and per round. Target: no overlapping pair, and
``ratio`` ≥ 0.3. The machine's cores are shared by all clients and the server, so the figures depend on
``--clients`` against ``os.cpu_count()``; ``cpu_ms_per_operation`` gives the CPU time one booking attempt
and one plain insert cost in the client processes and in their PostgreSQL backends, and ``queries_per_call``
the SQL statements Django sends for one booking and one refusal.

``--profile FILE`` runs client 0's booking phases under cProfile: stats to FILE, the top to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import pstats
import queue
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from the repository root: make the package importable without installing it.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import Postgres  # noqa: E402

SLUG = "booking-bench"
OWNER = "Owner School"
TARGET_RATIO = 0.3
GRID_MINUTES = 15
SETUP_TIMEOUT = 600.0  # 32 processes importing Django on 2 cores take a while

PLAIN_TABLE = """
CREATE TABLE bench_plain (
    resource_id bigint NOT NULL,
    organisation_id bigint NOT NULL,
    start timestamptz NOT NULL,
    "end" timestamptz NOT NULL,
    purpose text NOT NULL,
    status text NOT NULL
)
"""
PLAIN_INSERT = (
    'INSERT INTO bench_plain (resource_id, organisation_id, start, "end", purpose, status) '
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
OVERLAPS = """
SELECT count(*)
FROM resources_booking a
JOIN resources_booking b ON a.resource_id = b.resource_id AND a.id < b.id
WHERE a.start < b."end" AND b.start < a."end"
  AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
"""


def _say(message: str) -> None:
    print(f"booking_bench: {message}", file=sys.stderr, flush=True)


def _setup_django(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["INTERSCHOOL_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "interschool.config.settings"
    os.environ.pop("DEBUG", None)  # no query log growing in every client
    import django

    django.setup()


def _set_up(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate; create the network, the owner, the resources, the schools and the plain table."""
    from django.core.management import call_command
    from django.db import connection

    from interschool.core.models import OrganisationKind
    from interschool.core.services.networks import network_create, organisation_create
    from interschool.resources import vocabularies as v
    from interschool.resources.models import Resource

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    network = network_create(actor="cli", name="Booking benchmark", slug=SLUG, country="GB")
    owner = organisation_create(actor="cli", network=network, kind=OrganisationKind.SCHOOL, name=OWNER)
    for number in range(args.resources):
        Resource.objects.create(
            network=network,
            owner=owner,
            name=f"Laboratory {number + 1}",
            kind=v.ResourceKind.LABORATORY,
            capacity=30,
            time_zone="UTC",
            shared_with_network=True,
            approval_required=False,
            min_notice_hours=0,
        )
    for number in range(args.schools):
        organisation_create(
            actor="cli", network=network, kind=OrganisationKind.SCHOOL, name=f"School {number + 1}"
        )
    with connection.cursor() as cursor:
        cursor.execute(PLAIN_TABLE)
        cursor.execute("ANALYZE")
    return {"setup_seconds": round(time.perf_counter() - start, 1)}


@dataclass
class _Calendar:
    """What a client books from: the resources, the schools and the range of slots, read once per client
    (as a request's access check would already have read the resource and the organisation)."""

    resources: list[Any]
    schools: list[Any]
    resource_ids: list[int]
    school_ids: list[int]
    first: dt.datetime
    slots: int
    now: dt.datetime

    @classmethod
    def load(cls, now: dt.datetime, weeks: int) -> _Calendar:
        from interschool.core.models import Organisation
        from interschool.resources.models import Resource

        resources = list(Resource.objects.filter(network__slug=SLUG).select_related("network", "owner"))
        schools = list(Organisation.objects.filter(network__slug=SLUG).exclude(name=OWNER))
        return cls(
            resources=resources,
            schools=schools,
            resource_ids=[r.pk for r in resources],
            school_ids=[s.pk for s in schools],
            first=now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1),
            slots=weeks * 7 * 24 * 60 // GRID_MINUTES,
            now=now,
        )

    def slot(self, rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
        """A start on the grid within the weeks from tomorrow, 30–120 minutes long."""
        start = self.first + dt.timedelta(minutes=GRID_MINUTES * rng.randrange(self.slots))
        return start, start + dt.timedelta(minutes=GRID_MINUTES * rng.randint(2, 8))


def _book(deadline: float, calendar: _Calendar, rng: random.Random) -> dict[str, Any]:
    from interschool.resources.services.bookings import BookingRefused, booking_request

    booked = 0
    refused: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    while time.monotonic() < deadline:
        start, end = calendar.slot(rng)
        try:
            booking_request(
                actor="bench",
                resource=rng.choice(calendar.resources),
                organisation=rng.choice(calendar.schools),
                start=start,
                end=end,
                purpose="bench",
                now=calendar.now,
            )
        except BookingRefused as refusal:
            refused[refusal.code or "?"] += 1
        except Exception as error:  # counted and reported, so a failing service shows in the figures
            errors[type(error).__name__] += 1
        else:
            booked += 1
    return {"booked": booked, "refused": dict(refused), "errors": dict(errors)}


def _insert_plain(deadline: float, calendar: _Calendar, rng: random.Random) -> dict[str, Any]:
    from django.db import connection

    inserted = 0
    while time.monotonic() < deadline:
        start, end = calendar.slot(rng)
        row = (rng.choice(calendar.resource_ids), rng.choice(calendar.school_ids), start, end)
        with connection.cursor() as cursor:  # autocommit: one INSERT, one transaction
            cursor.execute(PLAIN_INSERT, (*row, "bench", "confirmed"))
        inserted += 1
    return {"inserted": inserted}


def _phase(
    name: str, work: Any, barrier: Any, seconds: float, profiler: cProfile.Profile | None, *arguments: Any
) -> dict[str, Any]:
    """Wait for every client and the parent, then run ``work`` until ``seconds`` have passed."""
    barrier.wait(timeout=SETUP_TIMEOUT)
    began, cpu = time.monotonic(), time.process_time()
    if profiler is not None:
        profiler.enable()
    try:
        counts = work(began + seconds, *arguments)
    finally:
        if profiler is not None:
            profiler.disable()
    ended, cpu = time.monotonic(), time.process_time() - cpu
    return {"phase": name, "began": began, "ended": ended, "cpu": cpu, **counts}


def _client(
    index: int,
    url: str,
    data_dir: str,
    options: dict[str, Any],
    now: dt.datetime,
    barrier: Any,
    results: Any,
) -> None:
    """One client process: set up Django, then alternate the booking and the plain-insert phases."""
    try:
        _setup_django(url, data_dir)
        from django.db import connection

        calendar = _Calendar.load(now, options["weeks"])  # also opens this process's connection
        results.put({"phase": "ready", "backend_pid": connection.connection.info.backend_pid})
        rng = random.Random(options["seed"] * 1000 + index)
        share = options["seconds"] / options["rounds"]
        profiler = cProfile.Profile() if options["profile"] and index == 0 else None
        for _round in range(options["rounds"]):
            results.put(_phase("booking", _book, barrier, share, profiler, calendar, rng))
            # The plain phase starts when the parent has counted the overlapping pairs.
            results.put(_phase("plain", _insert_plain, barrier, share, None, calendar, rng))
        if profiler is not None:
            profiler.dump_stats(options["profile"])
        barrier.wait(timeout=SETUP_TIMEOUT)  # the parent has read the backends' CPU time
        connection.close()
    except Exception:
        results.put({"phase": "failed", "index": index, "error": traceback.format_exc()})
        barrier.abort()


def _collect(results: Any, phase: str, clients: int, timeout: float) -> list[dict[str, Any]]:
    collected: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(collected) < clients:
        try:
            item = results.get(timeout=max(1.0, deadline - time.monotonic()))
        except queue.Empty:
            raise SystemExit(f"booking_bench: clients did not report the {phase} phase in time") from None
        if item["phase"] == "failed":
            sys.stderr.write(item["error"])
            raise SystemExit(f"booking_bench: client {item['index']} failed")
        collected.append(item)
    return collected


def _server_cpu(pids: list[int]) -> float | None:
    """CPU seconds (user and system) the clients' PostgreSQL backends have used, from /proc; None when the
    server runs elsewhere (DATABASE_URL on another machine)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return None
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def _run_phase(
    barrier: Any, results: Any, name: str, clients: int, timeout: float, backends: list[int]
) -> dict[str, Any]:
    """Release the clients into a phase and gather their reports: the counts summed, the phase's window
    (first client's start to the last client's last completed operation) and the CPU time spent."""
    barrier.wait(timeout=SETUP_TIMEOUT)
    before = _server_cpu(backends)
    reports = _collect(results, name, clients, timeout)
    after = _server_cpu(backends)
    counts: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for report in reports:
        counts.update({k: report.get(k, 0) for k in ("booked", "inserted")})
        refused.update(report.get("refused", {}))
        errors.update(report.get("errors", {}))
    return {
        **counts,
        "refused": refused,
        "errors": errors,
        "seconds": max(r["ended"] for r in reports) - min(r["began"] for r in reports),
        "client_cpu": sum(r["cpu"] for r in reports),
        "server_cpu": None if before is None or after is None else after - before,
    }


def _count_overlaps() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return int(cursor.fetchone()[0])


def _total(phases: list[dict[str, Any]], key: str) -> Any:
    values = [p[key] for p in phases]
    if key == "server_cpu" and None in values:
        return None
    return sum(values, Counter()) if isinstance(values[0], Counter) else sum(values)


def _cpu_ms(phases: list[dict[str, Any]], operations: int) -> dict[str, float | None]:
    """CPU milliseconds per operation: in the client processes (Django, psycopg) and in their PostgreSQL
    backends (None when the server is not on this machine)."""
    server = _total(phases, "server_cpu")
    return {
        "client": round(1000 * _total(phases, "client_cpu") / max(1, operations), 3),
        "server": None if server is None else round(1000 * server / max(1, operations), 3),
    }


def _queries_per_call(now: dt.datetime, weeks: int) -> dict[str, int]:
    """SQL statements Django sends for one booking and for one refusal (after the measured phases, on a
    slot beyond the measured range)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from interschool.core.models import Organisation
    from interschool.resources.models import Resource
    from interschool.resources.services.bookings import BookingRefused, booking_request

    resource = Resource.objects.filter(network__slug=SLUG).select_related("network", "owner").first()
    school = Organisation.objects.filter(network__slug=SLUG).exclude(name=OWNER).first()
    assert resource is not None and school is not None
    start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(weeks=weeks + 1)
    end = start + dt.timedelta(hours=1)

    def book() -> None:
        booking_request(
            actor="bench",
            resource=resource,
            organisation=school,
            start=start,
            end=end,
            purpose="bench",
            now=now,
        )

    with CaptureQueriesContext(connection) as booking:
        book()
    with CaptureQueriesContext(connection) as refusal:
        try:
            book()
        except BookingRefused as refused:
            assert refused.code == "conflict", refused.code
        else:
            raise SystemExit("booking_bench: the same slot was booked twice")
    return {"booking": len(booking.captured_queries), "refusal": len(refusal.captured_queries)}


def _print_profile(path: str) -> None:
    stats = pstats.Stats(path, stream=sys.stderr)
    print("\n===== cProfile: client 0, booking phases =====", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32, help="client processes")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each of the two phases")
    parser.add_argument(
        "--rounds", type=int, default=6, help="the phases alternate in this many rounds of equal length"
    )
    parser.add_argument("--resources", type=int, default=4)
    parser.add_argument("--schools", type=int, default=32, help="schools that book (besides the owner)")
    parser.add_argument("--weeks", type=int, default=4, help="the slots are drawn from this many weeks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", metavar="FILE", help="profile client 0's booking phases: stats to FILE, top to stderr"
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.rounds, args.resources, args.schools, args.weeks) < 1 or args.seconds <= 0:
        parser.error("--clients, --rounds, --resources, --schools, --weeks and --seconds must be positive")

    postgres = Postgres(os.environ.get("DATABASE_URL") or None)
    processes: list[mp.process.BaseProcess] = []
    booking: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []
    overlaps = 0
    try:
        with tempfile.TemporaryDirectory(prefix="interschool-booking-bench-") as tmp:
            data_dir = str(Path(tmp) / "data")
            _setup_django(postgres.url, data_dir)  # also writes the data directory's secret key once
            from django.db import connection

            _say("migrating and creating the network")
            setup = _set_up(args)
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0].split()[0]
            connection.close()  # not inherited, not shared: each client opens its own

            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            context = mp.get_context("spawn")
            barrier = context.Barrier(args.clients + 1)
            results = context.Queue()
            options = {k: getattr(args, k) for k in ("seconds", "rounds", "weeks", "seed", "profile")}
            _say(f"starting {args.clients} clients")
            for index in range(args.clients):
                client = context.Process(
                    target=_client,
                    args=(index, postgres.url, data_dir, options, now, barrier, results),
                    daemon=True,
                )
                client.start()
                processes.append(client)
            timeout = args.seconds / args.rounds + SETUP_TIMEOUT
            try:
                ready = _collect(results, "ready", args.clients, SETUP_TIMEOUT)
                backends = [r["backend_pid"] for r in ready]
                for number in range(args.rounds):
                    _say(f"round {number + 1} of {args.rounds}: booking, then plain inserts")
                    booking.append(_run_phase(barrier, results, "booking", args.clients, timeout, backends))
                    overlaps = max(overlaps, _count_overlaps())
                    connection.close()
                    plain.append(_run_phase(barrier, results, "plain", args.clients, timeout, backends))
                barrier.wait(timeout=SETUP_TIMEOUT)
            except Exception as error:
                barrier.abort()
                try:  # a client's own report says more than the broken barrier
                    failure = results.get(timeout=5)
                    sys.stderr.write(failure.get("error", ""))
                except queue.Empty:
                    pass
                raise SystemExit(f"booking_bench: the run broke off ({type(error).__name__})") from None
            for process in processes:
                process.join(timeout=60)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM resources_booking WHERE status IN ('pending', 'confirmed')"
                )
                holding = cursor.fetchone()[0]
            queries = _queries_per_call(now, args.weeks)
            overlaps = max(overlaps, _count_overlaps())
            connection.close()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
        postgres.close()
    if args.profile:
        _print_profile(args.profile)

    booked = _total(booking, "booked")
    refusals, errors = _total(booking, "refused"), _total(booking, "errors")
    attempts = booked + refusals.total() + errors.total()
    inserted = _total(plain, "inserted")
    booking_seconds, plain_seconds = _total(booking, "seconds"), _total(plain, "seconds")
    attempts_per_second = attempts / booking_seconds
    plain_per_second = inserted / plain_seconds
    ratio = attempts_per_second / plain_per_second
    rounds = []
    for b, p in zip(booking, plain, strict=True):
        tried = b["booked"] + b["refused"].total() + b["errors"].total()
        rounds.append(
            {
                "attempts_per_second": round(tried / b["seconds"], 1),
                "bookings_per_second": round(b["booked"] / b["seconds"], 1),
                "plain_inserts_per_second": round(p["inserted"] / p["seconds"], 1),
                "ratio": round(tried / b["seconds"] / (p["inserted"] / p["seconds"]), 3),
            }
        )
    result = {
        "benchmark": "concurrent booking_request vs plain inserts by the same clients (PostgreSQL)",
        "database": f"postgresql {version}"
        + (" (throw-away server)" if postgres.throwaway else " (DATABASE_URL)"),
        **setup,
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "resources": args.resources,
        "schools": args.schools,
        "weeks": args.weeks,
        "slot": f"start on a {GRID_MINUTES}-minute grid within {args.weeks} weeks, 30–120 minutes long",
        "bookings": booked,
        "refusals": dict(sorted(refusals.items())),
        "errors": dict(sorted(errors.items())),
        "attempts": attempts,
        "booking_seconds": round(booking_seconds, 3),
        "bookings_per_second": round(booked / booking_seconds, 1),
        "attempts_per_second": round(attempts_per_second, 1),
        "holding_bookings_in_database": holding,
        "reference": "one INSERT per autocommit statement into bench_plain (no key, index or constraint)",
        "plain_inserts": inserted,
        "plain_seconds": round(plain_seconds, 3),
        "plain_inserts_per_second": round(plain_per_second, 1),
        "ratio": round(ratio, 3),
        "booked_ratio": round(booked / booking_seconds / plain_per_second, 3),
        "target_ratio": TARGET_RATIO,
        "overlapping_pairs": overlaps,
        "meets_target": overlaps == 0 and not errors and ratio >= TARGET_RATIO,
        "per_round": rounds,
        "cpu_ms_per_operation": {
            "booking_attempt": _cpu_ms(booking, attempts),
            "plain_insert": _cpu_ms(plain, inserted),
        },
        "queries_per_call": queries,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
