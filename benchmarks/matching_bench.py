"""Benchmark of exact vertical matching at 25,000 and 100,000 schools, against greedy and a linear programme.

For each size a region is generated with ``interschool generate`` (``--years 10``, fixed seed) and matched
by ``interschool match-file --mode vertical`` in a child process: ``seconds`` is that process's wall time
(start-up, loading the file, candidate pairs, the min-cost flow, writing the result) and ``peak_rss_mib``
its maximum resident set size. Measured in the same run, on the same file:

* the greedy baseline: supported schools in order of need (lowest outcome percentile first, schools
  without one last) each take their best leader with room. It runs through the same command with only
  the solver swapped, so its seconds and memory compare with the exact run's;
* the verifier ``match_problems`` on the exact result and ``is_valid_assignment`` on greedy's, and the
  solve times alone;
* the independent exact formulation: the two-phase linear programme solved by scipy's HiGHS
  (``solve_assignment_lp``) on the same candidate pairs, its solve time against the min-cost flow's.
  It is stopped after ``--lp-timeout`` seconds of solving, which then gives a lower bound of its time;
* a reference for the machine's speed: reading the same CSV with csv.reader (``ratio_to_csv_read``).

Targets: 25,000 schools in ≤ 3 s and 100,000 in ≤ 15 s including loading, peak memory < 2 GB, a faster
solve than the linear programme, and never worse than greedy on matched count or total score (the gains
are reported). Then peer clusters on a 2,000-school region within a 60 s limit: objective, proven bound
and gap, and the groups the command wrote checked by ``peer_problems``.

All the work runs in child processes (this script with ``--child``, or ``interschool`` itself), so that
this process stays small: on Linux a child's peak RSS starts from its parent's. Prints one JSON object
per line: one per size, then one for the clusters. Unix only (``os.wait4``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Run as a script from the repository root: make the package importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from interschool.algorithms.matching.assignment import AssignmentProblem, AssignmentSolution

TARGET_SECONDS = {25_000: 3.0, 100_000: 15.0}
TARGET_PEAK_MIB = 2048
CHILD = "--child"  # first argument when this script runs as one of the measured children


def _say(message: str) -> None:
    print(f"matching_bench: {message}", file=sys.stderr, flush=True)


def _interschool() -> list[str]:
    script = Path(sys.executable).with_name("interschool")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "interschool.cli"]


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)  # Linux reports ru_maxrss in kibibytes


def _exact(line: str) -> dict[str, Any]:
    return json.loads(line, parse_float=Decimal)  # scores are written as exact decimals


def _measured(command: Sequence[str]) -> tuple[float, float, list[str]]:
    """Run ``command``; its wall time, its own peak RSS (MiB) and its standard output lines."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out)
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the peak of all children so far.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().splitlines()
    if child.returncode != 0:
        raise SystemExit(f"matching_bench: {' '.join(command)} failed with exit code {child.returncode}")
    return seconds, _mib(usage.ru_maxrss), lines


def _generate(path: Path, schools: int, seed: int) -> None:
    command = [*_interschool(), "generate", "--schools", str(schools), "--years", "10", "--seed", str(seed)]
    subprocess.run([*command, "--out", str(path)], check=True)


def _csv_read_seconds(path: Path, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with open(path, encoding="utf-8", newline="") as handle:
            for _row in csv.reader(handle):
                pass
        best = min(best, time.perf_counter() - start)
    return best


def need_order(problem: AssignmentProblem, performance: Mapping[str, float | None]) -> list[int]:
    """Supported schools (indexes) from the lowest outcome percentile up, those without one last."""
    ids = problem.supported_ids

    def need(n: int) -> tuple[bool, float, int]:
        value = performance[ids[n]]
        return value is None, value or 0.0, n

    return sorted(range(len(ids)), key=need)


# --- the children -------------------------------------------------------------------------------------


def _greedy_child(cli_args: list[str]) -> int:
    """``interschool`` with ``cli_args``, the greedy solver in order of need instead of the exact one."""
    from interschool import cli, matchschools
    from interschool.algorithms.matching import vertical
    from interschool.algorithms.matching.assignment import solve_assignment_greedy

    performance: dict[str, float | None] = {}
    read_schools = matchschools.read_schools

    def reading(*args: Any, **kwargs: Any) -> Any:
        schools = read_schools(*args, **kwargs)
        performance.update((s.id, s.performance) for s in schools)
        return schools

    def greedy(problem: AssignmentProblem) -> AssignmentSolution:
        return solve_assignment_greedy(problem, need_order(problem, performance))

    # The command runs unchanged (reading, candidate pairs, writing); only the solver differs.
    matchschools.read_schools = reading
    vertical.solve_assignment = greedy
    return cli.main(cli_args)


def _clusters_child(cli_args: list[str]) -> int:
    """``interschool`` with ``cli_args`` (clusters mode), then ``peer_problems`` on the groups it wrote."""
    from interschool import cli
    from interschool.algorithms.matching import peers

    kept: list[Any] = []
    form = peers.form_peer_clusters

    def forming(*args: Any) -> Any:
        result = form(*args)
        kept.append((*args, result))
        return result

    peers.form_peer_clusters = forming  # type: ignore[assignment]
    code = cli.main(cli_args)
    peak = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # before the verifier runs
    schools, rules, weights, result = kept[0]
    start = time.perf_counter()
    problems = peers.peer_problems(schools, result, rules, weights)
    verify_seconds = round(time.perf_counter() - start, 3)
    found = {"peak_rss_mib": peak, "verified": not problems, "problems": problems[:5]}
    print(json.dumps({**found, "verify_seconds": verify_seconds}))
    return code


def _analysis_child(path: str, with_lp: bool) -> int:
    """Candidate pairs, the exact result and its verifier, greedy and its check, then the linear
    programme: one JSON line of figures, one when the linear programme starts, one with its figures."""
    from interschool.algorithms.matching.assignment import (
        is_valid_assignment,
        solve_assignment_greedy,
        solve_assignment_lp,
    )
    from interschool.algorithms.matching.vertical import match_problems, match_vertical
    from interschool.matchfile import emit_summary
    from interschool.matchschools import read_schools

    start = time.perf_counter()
    schools = read_schools(path, roles=True)
    read_seconds = time.perf_counter() - start
    result = match_vertical(schools)
    start = time.perf_counter()
    problems = match_problems(schools, result)
    verify_seconds = time.perf_counter() - start
    greedy = solve_assignment_greedy(
        result.problem, need_order(result.problem, {s.id: s.performance for s in schools})
    )
    candidates_seconds = result.seconds - result.solution.seconds
    emit_summary(
        {
            "leaders": len(result.problem.leader_ids),
            "supported": len(result.problem.supported_ids),
            "supported_with_percentile": sum(
                s.role == "supported" and s.performance is not None for s in schools
            ),
            "candidate_pairs": result.candidate_pairs,
            "matched": result.matched,
            "total_score": result.total_score,
            "solve_seconds": round(result.solution.seconds, 3),
            "in_process_seconds": round(read_seconds + result.seconds, 3),
            "verified": not problems,
            "problems": problems[:5],
            "verify_seconds": round(verify_seconds, 3),
            "greedy_matched": greedy.matched,
            "greedy_total_score": greedy.total_score,
            "greedy_solve_seconds": round(greedy.seconds, 3),
            "greedy_in_process_seconds": round(read_seconds + candidates_seconds + greedy.seconds, 3),
            "greedy_valid": is_valid_assignment(result.problem, greedy),
        }
    )
    if not with_lp:
        return 0
    print(json.dumps({"lp_started_at": time.time()}), flush=True)
    lp = solve_assignment_lp(result.problem)
    best = result.solution.total_units
    emit_summary(
        {
            "timed_out": False,
            "solve_seconds": round(lp.seconds, 3),
            "matched": lp.matched,
            "total_score": lp.total_score,
            "lp_equal": (lp.matched, lp.total_units) == (result.matched, best),
            "relative_difference": abs(lp.total_units - best) / best if best else 0.0,
        }
    )
    return 0


def _child(argv: list[str]) -> int:
    kind, rest = argv[0], argv[1:]
    if kind == "greedy":
        return _greedy_child(rest)
    if kind == "clusters":
        return _clusters_child(rest)
    return _analysis_child(rest[0], with_lp=kind == "analysis+lp")


# --- the benchmark ------------------------------------------------------------------------------------


def _analysis(
    path: Path, lp_timeout: float | None, tmp: Path
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Run :func:`_analysis_child`, stopping the linear programme after ``lp_timeout`` s (0: no limit)."""
    out = tmp / "analysis.jsonl"
    kind = "analysis" if lp_timeout is None else "analysis+lp"
    with open(out, "w", encoding="utf-8") as handle:
        child = subprocess.Popen([sys.executable, __file__, CHILD, kind, str(path)], stdout=handle)
    lp_started = None
    while child.poll() is None:
        time.sleep(0.5)
        lines = out.read_text(encoding="utf-8").splitlines()
        if lp_started is None and len(lines) > 1:
            lp_started = json.loads(lines[1])["lp_started_at"]
        if lp_started is not None and lp_timeout and time.time() - lp_started > lp_timeout:
            child.kill()
            child.wait()
            return _exact(lines[0]), {
                "timed_out": True,
                "solve_seconds_at_least": round(time.time() - lp_started, 1),
            }
    if child.returncode != 0:
        raise SystemExit(f"matching_bench: the analysis child failed with exit code {child.returncode}")
    lines = out.read_text(encoding="utf-8").splitlines()
    # The linear programme's equality with the exact result was checked exactly in the child.
    return _exact(lines[0]), json.loads(lines[2]) if lp_timeout is not None else None


def _percent(gain: Decimal | int, base: Decimal | int) -> float | None:
    return round(float(Decimal(gain) / Decimal(base)) * 100, 2) if base else None


def _size(schools: int, seed: int, lp_timeout: float | None, tmp: Path) -> dict[str, Any]:
    path = tmp / f"schools_{schools}.csv"
    _say(f"generating {schools} schools")
    _generate(path, schools, seed)
    reference_seconds = _csv_read_seconds(path)

    _say("exact: interschool match-file --mode vertical")
    match_args = ["match-file", "--schools", str(path), "--mode", "vertical", "--out"]
    seconds, peak, lines = _measured([*_interschool(), *match_args, str(tmp / "exact.csv")])
    exact = _exact(lines[-1])
    _say("greedy: the same command with the greedy solver")
    greedy_seconds, greedy_peak, lines = _measured(
        [sys.executable, __file__, CHILD, "greedy", *match_args, str(tmp / "greedy.csv")]
    )
    greedy = _exact(lines[-1])
    _say("verifier, solve times" + ("" if lp_timeout is None else " and the linear programme"))
    found, lp = _analysis(path, lp_timeout, tmp)

    if (found["matched"], found["total_score"]) != (exact["matched"], exact["total_score"]):
        _say("warning: the analysis's exact result differs from the command's")
    if (found["greedy_matched"], found["greedy_total_score"]) != (greedy["matched"], greedy["total_score"]):
        _say("warning: the analysis's greedy result differs from the greedy command's")
    lp_seconds = None if lp is None else lp["solve_seconds_at_least" if lp["timed_out"] else "solve_seconds"]
    solve_seconds = float(found["solve_seconds"])
    target = TARGET_SECONDS.get(schools)
    matched_gain = exact["matched"] - greedy["matched"]
    score_gain = exact["total_score"] - greedy["total_score"]
    return {
        "benchmark": "matching.vertical",
        "schools": schools,
        "years": 10,
        "seed": seed,
        "leaders": found["leaders"],
        "supported": found["supported"],
        "supported_with_percentile": found["supported_with_percentile"],
        "candidate_pairs": found["candidate_pairs"],
        "exact": {
            "matched": exact["matched"],
            "total_score": float(exact["total_score"]),
            "seconds": round(seconds, 3),
            "command_seconds": float(exact["seconds"]),
            "peak_rss_mib": peak,
            "status": exact["status"],
            "solve_seconds": solve_seconds,
            "in_process_seconds": float(found["in_process_seconds"]),
            "verified": found["verified"],
            "problems": found["problems"],
            "verify_seconds": float(found["verify_seconds"]),
        },
        "greedy": {
            "order": "lowest outcome percentile first, schools without one last",
            "matched": greedy["matched"],
            "total_score": float(greedy["total_score"]),
            "seconds": round(greedy_seconds, 3),
            "peak_rss_mib": greedy_peak,
            "solve_seconds": float(found["greedy_solve_seconds"]),
            "in_process_seconds": float(found["greedy_in_process_seconds"]),
            "valid": found["greedy_valid"],
        },
        "lp": lp,
        "reference": "csv.reader over the same file (fastest of 3)",
        "reference_seconds": round(reference_seconds, 3),
        "ratio_to_csv_read": round(seconds / reference_seconds, 1),
        "target_seconds": target,
        "ratio_to_target": round(seconds / target, 2) if target else None,
        # When the linear programme timed out its seconds are a lower bound, so this ratio is an upper one.
        "solve_ratio_to_lp": round(solve_seconds / float(lp_seconds), 5) if lp_seconds else None,
        "matched_gain": matched_gain,
        "matched_gain_percent": _percent(matched_gain, greedy["matched"]),
        "score_gain": float(score_gain),
        "score_gain_percent": _percent(score_gain, greedy["total_score"]),
        "meets_time_target": seconds <= target if target else None,
        "meets_memory_target": peak < TARGET_PEAK_MIB,
        "faster_than_lp": solve_seconds < float(lp_seconds) if lp_seconds else None,
        "not_worse_than_greedy": matched_gain >= 0 and score_gain >= 0,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def _clusters(schools: int, seed: int, time_limit: float, tmp: Path) -> dict[str, Any]:
    path = tmp / f"clusters_{schools}.csv"
    _say(f"generating {schools} schools; peer clusters within {time_limit:g} s")
    _generate(path, schools, seed)
    command = [sys.executable, __file__, CHILD, "clusters", "match-file", "--schools", str(path)]
    command += ["--mode", "clusters", "--time-limit", str(time_limit), "--out", str(tmp / "clusters.csv")]
    _, _, lines = _measured(command)  # its time and memory come from the command, not the verifier
    summary, check = _exact(lines[-2]), json.loads(lines[-1])
    return {
        "benchmark": "matching.clusters",
        "schools": schools,
        "years": 10,
        "seed": seed,
        "time_limit_s": time_limit,
        "groups": summary["groups"],
        "schools_grouped": summary["schools_grouped"],
        "ungrouped": summary["ungrouped"],
        "objective": float(summary["objective"]),
        "bound": float(summary["bound"]),
        "gap": float(summary["gap"]),
        "status": summary["status"],
        "parts": summary["parts"],
        "candidate_edges": summary["candidate_edges"],
        "seconds": float(summary["seconds"]),
        "within_time_limit": float(summary["seconds"]) <= time_limit,
        "peak_rss_mib": check["peak_rss_mib"],
        "verified": check["verified"],
        "problems": check["problems"],
        "verify_seconds": check["verify_seconds"],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="25000,100000", help="school counts, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-lp", action="store_true", help="skip the linear programme (quick runs)")
    parser.add_argument(
        "--lp-timeout",
        type=float,
        default=600.0,
        help="stop the linear programme after this many seconds of solving; 0: no limit (default 600)",
    )
    parser.add_argument("--clusters-schools", type=int, default=2000, help="0 skips the clusters")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for the peer clusters")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    lp_timeout = None if args.skip_lp else args.lp_timeout

    with tempfile.TemporaryDirectory(prefix="interschool-matching-bench-") as tmp:
        for schools in sizes:
            print(json.dumps(_size(schools, args.seed, lp_timeout, Path(tmp))), flush=True)
        if args.clusters_schools:
            print(
                json.dumps(_clusters(args.clusters_schools, args.seed, args.time_limit, Path(tmp))),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
