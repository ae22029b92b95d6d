"""Benchmark of the main registry pages against a trivial Django view, served by gunicorn on one network.

Sets up a network of 25,000 synthetic schools with ten years of data (``interschool generate`` and
``interschool import --format csv`` with the canonical mapping), creates a network administrator, serves the
app with gunicorn (2 sync workers) with benchmarks/bench_settings.py, whose URLconf adds /bench/trivial/ (a
view that returns "ok" through the same middleware), logs in once and then requests, in interleaved rounds,
the dashboard, the school list, a school profile and the trivial view. Prints one JSON object: requests per
second of each page and its ratio to the trivial view's; the target ratio is ≥ 0.15. Each round measures every
page once, the trivial view first, so a ratio is taken within a round (the shared machine's speed drifts
between rounds) and the median over the rounds is reported.

SQLite in a temporary data directory by default; ``--postgres`` uses a throw-away PostgreSQL server (or the
server of DATABASE_URL when it is set), with a database of its own.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import http.cookiejar
import json
import os
import platform
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import Postgres  # noqa: E402

SLUG = "bench"
EMAIL = "admin@bench.example"
PASSWORD = "bench-Password-2718"  # noqa: S105 - a throw-away account in a throw-away database
SETTINGS = "benchmarks.bench_settings"
TARGET_RATIO = 0.15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *arguments: str, stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "interschool"), *arguments],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"pages_bench: `interschool {' '.join(arguments[:2])}` failed ({done.returncode})")
    return time.perf_counter() - start


def _set_up_network(env: dict[str, str], work: Path, args: argparse.Namespace) -> dict[str, float]:
    seconds = {}
    seconds["migrate"] = _cli(env, "manage", "migrate", "--noinput", "-v", "0")
    _cli(env, "network", "create", "--name", "Pages benchmark", "--slug", SLUG, "--country", "GB")
    csv_path = work / "schools.csv"
    seconds["generate"] = _cli(
        env,
        "generate",
        "--schools",
        str(args.schools),
        "--years",
        str(args.years),
        "--seed",
        str(args.seed),
        "--out",
        str(csv_path),
    )
    from interschool.registry.importing.mapped import CANONICAL_MAPPING

    mapping = work / "mapping.json"
    mapping.write_text(json.dumps(CANONICAL_MAPPING), encoding="utf-8")
    seconds["import"] = _cli(
        env, "import", "--network", SLUG, "--format", "csv", "--mapping", str(mapping), str(csv_path)
    )
    _cli(
        env, "user", "create", "--email", EMAIL, "--password", PASSWORD, "--network", SLUG, "--role", "admin"
    )
    return {k: round(v, 1) for k, v in seconds.items()}


def _start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "gunicorn"),
        "interschool.config.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    with open(log, "wb") as handle:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log.read_text(errors="replace"))
            raise SystemExit("pages_bench: gunicorn exited at start")
        try:
            status, _size = _get(port, "/bench/trivial/", "")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    _stop(server)
    raise SystemExit("pages_bench: gunicorn did not answer within 90 seconds")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _log_in(port: int) -> str:
    """Log in through the login form (CSRF token included) and return the Cookie header for later requests."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    # Only http://127.0.0.1 addresses of the server this script started are opened.
    with opener.open(f"{base}/accounts/login/", timeout=60) as response:
        page = response.read().decode("utf-8")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise SystemExit("pages_bench: no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": found.group(1)}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{base}/accounts/login/", data=form, headers={"Referer": base + "/"}
    )
    with opener.open(request, timeout=60) as response:
        response.read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("pages_bench: the log-in did not give a session cookie")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _get(port: int, path: str, cookie: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def _run_round(
    port: int, path: str, cookie: str, count: int, min_seconds: float, concurrency: int
) -> tuple[int, float, list[float]]:
    """GETs of ``path``, ``concurrency`` at a time, until at least ``count`` are done and ``min_seconds``
    have passed. Returns the number of requests, the wall time and each request's latency."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()

    def client() -> None:
        while not errors:
            with lock:
                if len(latencies) >= count and time.perf_counter() - start >= min_seconds:
                    return
            began = time.perf_counter()
            status, _size = _get(port, path, cookie)
            if status != 200:
                errors.append(f"pages_bench: GET {path} answered {status}")
                return
            with lock:
                latencies.append(time.perf_counter() - began)

    if concurrency <= 1:
        client()
    else:
        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise SystemExit(errors[0])
    return len(latencies), time.perf_counter() - start, latencies


def _in_process(pages: dict[str, str], profile_dir: Path | None, profile_requests: int) -> dict[str, Any]:
    """Query counts (and optionally cProfile) of each page through Django's test Client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from interschool.core.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=EMAIL))
    counts = {}
    for name, path in pages.items():
        client.get(path)  # warm caches, as the server's warm-up does
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"pages_bench: in-process GET {path} answered {response.status_code}")
        counts[name] = len(queries.captured_queries)
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        for name, path in pages.items():
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(profile_requests):
                client.get(path)
            profile.disable()
            profile.dump_stats(str(profile_dir / f"{name}.prof"))
            print(f"\n===== cProfile: {name} {path} × {profile_requests} =====", file=sys.stderr)
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(15)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=25_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--requests", type=int, default=30, help="requests per page in each round, at least")
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=1.0,
        help="each page's share of a round lasts at least this long (more requests for fast pages)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds over all pages; medians are reported")
    parser.add_argument("--warmup", type=int, default=10, help="requests per page before measuring")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="with --postgres: measure without ANALYZE after the import (as autovacuum has not yet run)",
    )
    parser.add_argument("--no-queries", action="store_true", help="skip the in-process query counts")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="also profile each page in-process with cProfile: stats to DIR/<page>.prof, top to stderr",
    )
    parser.add_argument("--profile-requests", type=int, default=20)
    args = parser.parse_args(argv)
    if not (BIN / "gunicorn").exists():
        raise SystemExit(f"pages_bench: {BIN / 'gunicorn'} not found: install the test extras (make test)")

    work = Path(tempfile.mkdtemp(prefix="interschool-pages-bench-"))
    postgres = None
    server = None
    try:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        env["INTERSCHOOL_DATA_DIR"] = str(work / "data")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        if args.postgres:
            postgres = Postgres(os.environ.get("DATABASE_URL") or None)
            env["DATABASE_URL"] = postgres.url
        setup_seconds = _set_up_network(env, work, args)

        # This process reads the database too (the profile's id, the query counts): same settings.
        os.environ.pop("DATABASE_URL", None)
        if postgres is not None:
            os.environ["DATABASE_URL"] = postgres.url
        os.environ["INTERSCHOOL_DATA_DIR"] = env["INTERSCHOOL_DATA_DIR"]
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
        import django

        django.setup()
        from django.db import connection

        from interschool.core.models import Organisation

        analyzed = postgres is not None and not args.no_analyze
        if analyzed:
            # The steady state: autovacuum analyses the new rows within a minute or so, and a plan made on
            # the empty tables' statistics (12 rows estimated for 25,000) would change during the run.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        schools = Organisation.objects.filter(network__slug=SLUG, kind="school").order_by("pk")
        school_count = schools.count()
        profile_pk = schools.values_list("pk", flat=True)[school_count // 2]
        pages = {
            "trivial": "/bench/trivial/",
            "dashboard": f"/n/{SLUG}/",
            "school_list": f"/n/{SLUG}/organisations/",
            "school_profile": f"/n/{SLUG}/organisations/{profile_pk}/",
        }
        queries = None if args.no_queries else _in_process(pages, args.profile, args.profile_requests)
        connection.close()

        port = _free_port()
        server = _start_gunicorn(
            {**env, "DJANGO_SETTINGS_MODULE": SETTINGS}, port, args.workers, work / "gunicorn.log"
        )
        cookie = _log_in(port)
        sizes = {}
        for name, path in pages.items():
            for _ in range(args.warmup):
                status, sizes[name] = _get(port, path, cookie)
                if status != 200:
                    raise SystemExit(f"pages_bench: GET {path} answered {status} (not logged in?)")
        rounds: dict[str, list[float]] = {name: [] for name in pages}
        latencies: dict[str, list[float]] = {name: [] for name in pages}
        for _round in range(args.rounds):
            for name, path in pages.items():
                done, seconds, times = _run_round(
                    port, path, cookie, args.requests, args.min_seconds, args.concurrency
                )
                rate = done / seconds
                rounds[name].append(rate)
                latencies[name].extend(times)
    finally:
        if server is not None:
            _stop(server)
        if postgres is not None:
            postgres.close()
        shutil.rmtree(work, ignore_errors=True)

    trivial_rounds = rounds["trivial"]
    result_pages = {}
    for name, path in pages.items():
        ratios = [rate / trivial for rate, trivial in zip(rounds[name], trivial_rounds, strict=True)]
        result_pages[name] = {
            "path": path,
            "requests_per_second": round(statistics.median(rounds[name]), 1),
            "rounds_requests_per_second": [round(rate, 1) for rate in rounds[name]],
            "median_ms": round(statistics.median(latencies[name]) * 1000, 1),
            "bytes": sizes[name],
            "queries": queries[name] if queries else None,
            "ratio_to_trivial": round(statistics.median(ratios), 3),
            "rounds_ratio_to_trivial": [round(ratio, 3) for ratio in ratios],
        }
        if name != "trivial":
            result_pages[name]["meets_target"] = statistics.median(ratios) >= TARGET_RATIO
    result = {
        "benchmark": "pages: dashboard, school list and school profile vs a trivial view (gunicorn)",
        "database": ("postgresql" + (", ANALYZE after the import" if analyzed else ", not analysed"))
        if args.postgres
        else "sqlite",
        "schools": args.schools,
        "years": args.years,
        "seed": args.seed,
        "organisations_in_network": school_count,
        "setup_seconds": setup_seconds,
        "server": f"gunicorn, {args.workers} sync workers",
        "concurrency": args.concurrency,
        "requests_per_round": f"at least {args.requests} and at least {args.min_seconds} s per page",
        "rounds": args.rounds,
        "reference": "trivial view (/bench/trivial/) through the same middleware, same session",
        "target_ratio": TARGET_RATIO,
        "pages": result_pages,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
