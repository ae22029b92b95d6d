"""The interschool command: in-process for the database commands, as a real process for demo and serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from interschool.cli import main
from interschool.core.models import ApiToken, AuditEntry, Membership, Network, Role, User
from interschool.core.services.tokens import api_token_authenticate


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_network_and_user_create(db, capsys):
    code, out, _ = run(
        capsys,
        "network",
        "create",
        "--name",
        "North Trust",
        "--slug",
        "north",
        "--country",
        "nl",
        "--language",
        "nl",
        "--time-zone",
        "Europe/Amsterdam",
    )
    assert code == 0 and "north" in out
    network = Network.objects.get(slug="north")
    assert (network.country, network.default_language) == ("NL", "nl")
    assert AuditEntry.objects.get(object_type="core.network").actor_label == "system:cli"
    code, out, err = run(
        capsys,
        "user",
        "create",
        "--email",
        "Admin@North.org",
        "--password",
        "a-long-password-7",
        "--network",
        "north",
        "--role",
        "admin",
    )
    assert code == 0, err
    membership = Membership.objects.get(user__email="admin@north.org")
    assert membership.role == Role.ADMIN
    code, _, _ = run(
        capsys,
        "user",
        "create",
        "--email",
        "r@north.org",
        "--password",
        "a-long-password-8",
        "--network",
        "north",
        "--role",
        "researcher",
        "--user",
        "admin@north.org",
    )
    assert code == 0
    assert AuditEntry.objects.filter(actor_label="admin@north.org", object_type="core.membership").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["network", "create", "--name", "X", "--slug", "bad slug", "--country", "GB"], "--slug"),
        (
            ["network", "create", "--name", "X", "--slug", "x", "--country", "GB", "--time-zone", "Nowhere"],
            "--time-zone",
        ),
        (["user", "create", "--email", "not-an-email", "--password", "a-long-password-7"], "--email"),
        (["user", "create", "--email", "a@b.org", "--password", "short"], "short"),
        (
            [
                "user",
                "create",
                "--email",
                "a@b.org",
                "--password",
                "a-long-password-7",
                "--network",
                "nope",
                "--role",
                "admin",
            ],
            "--network",
        ),
        (
            ["user", "create", "--email", "a@b.org", "--password", "a-long-password-7", "--network", "x"],
            "--role",
        ),
        (["token", "create", "--user", "ghost@example.org"], "--user"),
        (["token", "revoke", "999999"], "TOKEN_ID"),
        (
            ["network", "create", "--name", "X", "--slug", "x", "--country", "GB", "--user", "ghost@x.org"],
            "--user",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(db, capsys, args, message):
    code, _out, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert not User.objects.filter(email="a@b.org").exists()


def test_argparse_errors_exit_2(capsys):
    code, _out, err = run(capsys, "generate", "--schools", "many", "--out", "x.csv")
    assert code == 2 and "--schools" in err
    code, _out, err = run(capsys, "frobnicate")
    assert code == 2


def test_token_create_prints_only_the_token_and_revoke_works(world, capsys):
    email = world.a.user(Role.TEACHER).email
    code, out, _err = run(capsys, "token", "create", "--user", email, "--name", "nightly")
    assert code == 0
    secret = out.strip()
    assert out.count("\n") == 1 and api_token_authenticate(secret) == world.a.user(Role.TEACHER)
    token = ApiToken.objects.get(name="nightly")
    code, out, _ = run(capsys, "token", "revoke", str(token.pk))
    assert code == 0 and "revoked" in out
    assert api_token_authenticate(secret) is None


def test_version(capsys):
    import interschool

    code, out, _ = run(capsys, "--version")
    assert code == 0 and interschool.__version__ in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(tmp_path: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTERSCHOOL_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "interschool.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def test_demo_then_serve_in_real_processes(tmp_path):
    """demo --no-serve twice (idempotent), then serve answers with RTL for Hebrew.

    On SQLite this is the embedded set-up; with DATABASE_URL the processes use that server's database.
    """
    first = _cli(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    logins = [
        line.split()
        for line in first.stdout.splitlines()
        if line.split()[:1] and line.split()[0] in Role.values
    ]
    assert sorted(role for role, _email, _pw in logins) == sorted(Role.values)
    second = _cli(tmp_path, "demo", "--no-serve")
    assert second.returncode == 0 and "Kept the demo network" in second.stdout
    assert [line.split() for line in second.stdout.splitlines() if line.split()[:1] == ["admin"]] == [
        login for login in logins if login[0] == "admin"
    ]

    port = _free_port()
    env = {**os.environ, "INTERSCHOOL_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "interschool.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"Accept-Language": "he"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback only
                    assert response.status == 200
                    body = response.read().decode()
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.3)
        assert 'dir="rtl"' in body and 'lang="he"' in body
    finally:
        server.terminate()
        server.wait(timeout=20)
