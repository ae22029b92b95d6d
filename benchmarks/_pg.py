"""PostgreSQL for the benchmarks: a throw-away server (scripts/pg_throwaway.sh) or the one in DATABASE_URL.

Either way each benchmark run gets a database of its own, created here and dropped (or thrown away with the
server) at the end, so a run never sees the data of another.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


class Postgres:
    """A fresh database on a server; ``url`` is its DATABASE_URL. Call ``close()`` when done."""

    def __init__(self, server_url: str | None = None) -> None:
        self.pgtmp: str | None = None
        self.pgbin: str | None = None
        self.throwaway = server_url is None
        if server_url is None:
            server_url = self._start_throwaway()
        self.server_url = server_url
        self.database = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
        parts = urlsplit(server_url)
        self.url = urlunsplit(parts._replace(path="/" + self.database))
        try:
            self._admin(f'CREATE DATABASE "{self.database}"')
        except Exception:
            self.close()
            raise

    def _start_throwaway(self) -> str:
        if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not os.environ.get("PGBIN"):
            raise SystemExit(
                "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): "
                "run scripts/system-deps.sh test, or set DATABASE_URL"
            )
        script = 'set -e; source scripts/pg_throwaway.sh; printf "%s\\n" "$DATABASE_URL" "$PGTMP" "${PGBIN}"'
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        done = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or len(lines) < 3:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit("could not start a throw-away PostgreSQL (scripts/pg_throwaway.sh failed)")
        url, self.pgtmp, self.pgbin = lines[-3:]
        return url

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql)

    def close(self) -> None:
        if self.throwaway:
            if self.pgtmp and self.pgbin:
                command = [
                    f"{self.pgbin}/pg_ctl",
                    "-D",
                    f"{self.pgtmp}/data",
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
                if os.geteuid() == 0:
                    command = ["runuser", "-u", "postgres", "--", *command]
                subprocess.run(command, capture_output=True, check=False)
                shutil.rmtree(self.pgtmp, ignore_errors=True)
            self.pgtmp = None
            return
        try:
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except Exception as exc:  # leave it, but say so
            print(f"could not drop database {self.database}: {exc}", file=sys.stderr)
