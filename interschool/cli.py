"""The ``interschool`` command: demo, serve, worker, manage, network, user, token, generate, import."""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

import interschool

EXIT_BAD_ARGUMENTS = 2


class CommandError(Exception):
    """A clear message for the person at the terminal; exits with status 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interschool.config.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _actor(email: str | None) -> Any:
    """The user named with --user, or the named system actor "cli" for the audit log."""
    if not email:
        return "cli"
    from interschool.core.models import User

    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"--user: no user with the e-mail address {email!r}")
    return user


def _validation_message(error: Any) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"--{field.replace('_', '-')}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
            for field, msgs in error.message_dict.items()
        )
    return " ".join(error.messages)


def freeze_heap() -> None:
    """Move every object alive after start-up out of the garbage collector's sight: a task's many
    short-lived objects then trigger collections over its own objects, not the whole Django heap."""
    gc.collect()
    gc.freeze()


def start_worker_thread(interval: float = 1.0) -> tuple[threading.Thread, Any]:
    """Run a django-tasks database worker inside this process, for the embedded set-up.

    Returns the thread and the worker; set ``worker.running = False`` to stop it after its current task.
    """
    from django_tasks_db.management.commands.db_worker import Worker

    freeze_heap()
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"inprocess-{os.getpid()}",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="interschool-worker", daemon=True)
    thread.start()
    return thread, worker


def _serve(host: str, port: int, worker: bool) -> None:
    from waitress import serve

    from interschool.config.wsgi import application

    if worker:
        start_worker_thread()
    print(f"Interschool is running at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    serve(application, host=host, port=port, threads=8, ident="interschool", _quiet=True)


# --- commands ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from interschool.core.services import demo

    if args.reset:
        demo.demo_reset()
    network, logins, created = demo.demo_ensure()
    url = f"http://{args.host}:{args.port}/"
    print(("Created" if created else "Kept") + f" the demo network {network.name!r} ({network.slug}).")
    print(f"URL {url}")
    print("Logins (ROLE EMAIL PASSWORD):")
    for login in logins:
        print(f"{login.role} {login.email} {login.password}")
    sys.stdout.flush()
    if not args.no_serve:
        _serve(args.host, args.port, worker=True)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    if not args.no_migrate:
        _migrate()
    _serve(args.host, args.port, worker=not args.no_worker)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    freeze_heap()
    from django.core.management import call_command

    options: dict[str, Any] = {
        "queue_name": "*",
        "reload": False,
        "startup_delay": not args.batch,
        "batch": args.batch,
        "interval": args.interval,
    }
    call_command("db_worker", **options)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["interschool manage", *args.arguments])
    return 0


def cmd_network_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError

    from interschool.core.services.networks import network_create

    try:
        network = network_create(
            actor=_actor(args.user),
            name=args.name,
            slug=args.slug,
            country=args.country,
            default_language=args.language,
            time_zone=args.time_zone,
        )
    except ValidationError as error:
        raise CommandError(_validation_message(error)) from error
    print(f"created network {network.slug} (id {network.pk})")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from interschool.core.models import Network, Organisation, Role, User
    from interschool.core.services.networks import member_add, user_create

    if bool(args.network) != bool(args.role):
        raise CommandError("--network and --role go together: give both or neither")
    if args.role and args.role not in Role.values:
        raise CommandError(f"--role: choose one of {', '.join(Role.values)}")
    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None and sys.stdin.isatty():
        password = getpass.getpass("Password (empty: the user sets it by password reset): ") or None
    actor = _actor(args.user)
    try:
        with transaction.atomic():
            user = User.objects.filter(email__iexact=args.email.strip()).first()
            if user is None:
                user = user_create(
                    actor=actor,
                    email=args.email,
                    password=password,
                    full_name=args.name or "",
                    language=args.language or "",
                )
            elif password:
                raise CommandError(f"--email: {user.email} exists already; its password was not changed")
            if args.network:
                network = Network.objects.filter(slug=args.network).first()
                if network is None:
                    raise CommandError(f"--network: no network with the short name {args.network!r}")
                organisation = None
                if args.organisation:
                    organisation = Organisation.objects.filter(
                        network=network, code=args.organisation
                    ).first()
                    if organisation is None and args.organisation.isdigit():
                        organisation = Organisation.objects.filter(
                            network=network, pk=int(args.organisation)
                        ).first()
                    if organisation is None:
                        raise CommandError(
                            f"--organisation: no organisation {args.organisation!r} in {network.slug}"
                        )
                member_add(actor=actor, network=network, user=user, role=args.role, organisation=organisation)
    except ValidationError as error:
        raise CommandError(_validation_message(error)) from error
    print(
        f"user {user.email} (id {user.pk})" + (f" is {args.role} in {args.network}" if args.network else "")
    )
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from interschool.core.models import User
    from interschool.core.services.tokens import api_token_create

    user = User.objects.filter(email__iexact=args.user.strip(), is_active=True).first()
    if user is None:
        raise CommandError(f"--user: no active user with the e-mail address {args.user!r}")
    token, secret = api_token_create(actor=user, user=user, name=args.name)
    print(secret)
    print(f"token id {token.pk} ({token.name}) for {user.email}", file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _setup_django()
    from interschool.core.models import ApiToken
    from interschool.core.services.tokens import api_token_revoke

    ident = args.token_id.strip()
    tokens = ApiToken.objects.select_related("user")
    token = tokens.filter(pk=int(ident)).first() if ident.isdigit() else None
    if token is None:
        prefix = ident.removeprefix("ist_").split("_")[0]
        token = tokens.filter(prefix=prefix).first()
    if token is None:
        raise CommandError(
            f"TOKEN_ID: no token {ident!r} (give the id or the token's first part, ist_XXXXXXXXXXXX)"
        )
    actor = _actor(args.user) if args.user else token.user
    api_token_revoke(actor=actor, token=token)
    print(f"revoked token {token.pk} ({token.name}) of {token.user.email}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from interschool.synthetic.region import GeneratorError, write_region_csv

    try:
        rows = write_region_csv(args.out, schools=args.schools, years=args.years, seed=args.seed)
    except GeneratorError as error:
        raise CommandError(str(error)) from error
    except OSError as error:
        raise CommandError(f"--out: cannot write {args.out}: {error.strerror}") from error
    print(f"wrote {rows} schools × {args.years} years to {args.out}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    _setup_django()
    import json

    from django.core.exceptions import ValidationError

    from interschool.core.models import Network
    from interschool.registry.services.imports import UploadedFile, import_create, import_run

    network = Network.objects.filter(slug=args.network).first()
    if network is None:
        raise CommandError(f"--network: no network with the short name {args.network!r}")
    mapping = None
    if args.mapping:
        try:
            with open(args.mapping, encoding="utf-8") as handle:
                mapping = json.load(handle)
        except OSError as error:
            raise CommandError(f"--mapping: cannot read {args.mapping}: {error.strerror}") from error
        except json.JSONDecodeError as error:
            raise CommandError(f"--mapping: {args.mapping} is not valid JSON ({error})") from error
    elif args.format in {"csv", "xlsx"}:
        raise CommandError(
            "--mapping: the csv and xlsx formats need a column mapping (see docs/importing.md)"
        )
    files = []
    for name in args.files:
        try:
            with open(name, "rb") as handle:
                files.append(UploadedFile(os.path.basename(name), handle.read()))
        except OSError as error:
            raise CommandError(f"FILE: cannot read {name}: {error.strerror}") from error
    actor = _actor(args.user)
    try:
        run = import_create(
            actor=actor,
            network=network,
            format=args.format,
            files=files,
            mapping=mapping,
            encoding=args.encoding or "",
            delimiter={"tab": "\t", "\\t": "\t"}.get(args.delimiter or "", args.delimiter or ""),
            year=args.year,
        )
    except ValidationError as error:
        raise CommandError(_validation_message(error)) from error
    run = import_run(run, actor=actor, echo=lambda line: print(line, file=sys.stderr))
    summary = run.summary
    for item in summary.get("files", []):
        print(
            f"{item['name']} ({item['kind']}): {item['rows']} rows, {item['imported']} imported, "
            f"{item['skipped']} skipped, {item['rejected']} rejected"
        )
    for rule, count in sorted(summary.get("skip_rules", {}).items()):
        print(f"  skipped by rule {rule}: {count}")
    if run.status != "committed":
        for rejection in run.rejections[:50]:
            print(
                f"rejected: {rejection['file']} row {rejection['row']}, column {rejection['column']!r}, "
                f"value {rejection['value']!r}: {rejection['reason']}",
                file=sys.stderr,
            )
        if len(run.rejections) > 50:
            print(f"… and {len(run.rejections) - 50} more rejected rows", file=sys.stderr)
        reason = run.error or f"{summary.get('rejected', 0)} rows rejected"
        print(f"import #{run.pk} {run.status}: {reason}; nothing was written", file=sys.stderr)
        return 1
    written = {"organisations_created": 0, **summary.get("written", {})}
    print(
        f"import #{run.pk} committed: {summary['organisations']} organisations "
        f"({written['organisations_created']} new, {written.get('organisations_updated', 0)} changed), "
        f"{written.get('values_created', 0)} new and {written.get('values_updated', 0)} changed values"
    )
    return 0


def cmd_import_revert(args: argparse.Namespace) -> int:
    _setup_django()
    from interschool.registry.models import Import
    from interschool.registry.services.imports import RevertError, import_revert
    from interschool.registry.services.statistics import registry_recompute

    run = Import.objects.filter(pk=args.import_id, network__slug=args.network).first()
    if run is None:
        raise CommandError(f"IMPORT_ID: no import {args.import_id} in network {args.network!r}")
    try:
        import_revert(actor=_actor(args.user), run=run)
    except RevertError as error:
        raise CommandError(str(error)) from error
    registry_recompute(network=run.network)
    print(f"import #{run.pk} reverted")
    return 0


def cmd_match_file(args: argparse.Namespace) -> int:
    from interschool import matchfile

    if args.schools:
        if args.leaders or args.pairs:
            raise CommandError("--schools: give either --schools or --leaders with --pairs, not both")
    else:
        if args.leaders is None and args.pairs is None:
            raise CommandError("--leaders: required, with --pairs (or give --schools)")
        if args.pairs is None:
            raise CommandError("--pairs: required with --leaders")
        if args.leaders is None:
            raise CommandError("--leaders: required with --pairs")
        for option, value in (("--mode", args.mode), ("--organisations", args.organisations)):
            if value is not None:
                raise CommandError(f"{option}: only used with --schools")
    try:
        with matchfile.without_cycle_collection():
            if args.schools:
                summary = matchfile.run_schools_mode(args)
            else:
                summary = matchfile.run_pairs_mode(args.leaders, args.pairs, args.out)
    except matchfile.MatchFileError as error:
        raise CommandError(str(error)) from error
    if "groups" in summary:
        described = (
            f"{summary['groups']} peer clusters of {summary['schools_grouped']} schools "
            f"({summary['ungrouped']} ungrouped), objective {summary['objective']:f}, "
            f"gap {summary['gap']:.2%}"
        )
    else:
        described = (
            f"matched {summary['matched']} schools ({summary['unmatched']} unmatched), "
            f"total score {summary['total_score']:f}"
        )
    print(f"{described}; wrote {args.out}", file=sys.stderr)
    matchfile.emit_summary(summary)
    return 0


# --- argument parsing -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1–65535)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interschool", description="Interschool: inter-school collaboration networks."
    )
    parser.add_argument("--version", action="version", version=f"interschool {interschool.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser("demo", help="set up the demo network, print the logins and serve it")
    demo.add_argument("--reset", action="store_true", help="delete the demo network and start over")
    demo.add_argument("--no-serve", action="store_true", help="stop after setting up")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=_port, default=8000)
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="serve the web interface and the API (with a worker thread)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="do not run background tasks in this process")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply database migrations first")
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run background tasks")
    worker.add_argument("--batch", action="store_true", help="run the waiting tasks, then exit")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    worker.set_defaults(func=cmd_worker)

    manage = commands.add_parser("manage", help="run any Django management command", add_help=False)
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    network = commands.add_parser("network", help="manage networks").add_subparsers(
        dest="network_command", metavar="ACTION", required=True
    )
    network_create = network.add_parser("create", help="create a network")
    network_create.add_argument("--name", required=True)
    network_create.add_argument(
        "--slug", required=True, help="short name used in addresses, e.g. north-trust"
    )
    network_create.add_argument("--country", required=True, help="two-letter ISO 3166 code, e.g. GB")
    network_create.add_argument("--language", default="en", choices=["en", "ru", "he", "fa", "nl"])
    network_create.add_argument("--time-zone", default="UTC")
    network_create.add_argument("--user", help="e-mail of the user recorded as acting (default: system:cli)")
    network_create.set_defaults(func=cmd_network_create)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    user_create = user.add_parser("create", help="create a user, optionally adding them to a network")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", help="full name")
    password = user_create.add_mutually_exclusive_group()
    password.add_argument("--password")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_create.add_argument("--language", choices=["en", "ru", "he", "fa", "nl"])
    user_create.add_argument("--network", help="short name of the network to add the user to")
    user_create.add_argument("--role", help="role in that network")
    user_create.add_argument("--organisation", help="identifier (or id) of the user's organisation")
    user_create.add_argument("--user", help="e-mail of the user recorded as acting (default: system:cli)")
    user_create.set_defaults(func=cmd_user_create)

    token = commands.add_parser("token", help="manage personal API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    token_create = token.add_parser("create", help="create a token; prints only the token")
    token_create.add_argument("--user", required=True, help="e-mail of the token's user")
    token_create.add_argument("--name", default="command line")
    token_create.set_defaults(func=cmd_token_create)
    token_revoke = token.add_parser("revoke", help="revoke a token")
    token_revoke.add_argument("token_id", metavar="TOKEN_ID")
    token_revoke.add_argument("--user", help="e-mail of the user recorded as acting")
    token_revoke.set_defaults(func=cmd_token_revoke)

    generate = commands.add_parser("generate", help="write a synthetic region as a canonical school CSV")
    generate.add_argument("--schools", type=_positive_int, required=True)
    generate.add_argument("--years", type=_positive_int, default=5)
    generate.add_argument("--seed", type=_positive_int, default=0)
    generate.add_argument("--out", required=True, help="file to write")
    generate.set_defaults(func=cmd_generate)

    imp = commands.add_parser("import", help="import school files into a network (see docs/importing.md)")
    imp.add_argument("--network", required=True, help="the network's short name")
    imp.add_argument("--format", required=True, choices=["nyc", "england", "csv", "xlsx"])
    imp.add_argument("--mapping", help="column mapping (JSON) for the csv and xlsx formats")
    imp.add_argument("--encoding", help="file encoding, e.g. utf-8, cp1252, cp1251 (default: detect)")
    imp.add_argument("--delimiter", help="',', ';' or 'tab' (default: detect)")
    imp.add_argument("--year", type=_positive_int, help="the year of the data when the files do not say")
    imp.add_argument("--user", help="e-mail of the user recorded as importing")
    imp.add_argument("files", nargs="+", metavar="FILE", help="CSV, CSV.GZ or XLSX files")
    imp.set_defaults(func=cmd_import)

    revert = commands.add_parser("import-revert", help="revert a committed import as a whole")
    revert.add_argument("--network", required=True)
    revert.add_argument("--user", help="e-mail of the user recorded as acting")
    revert.add_argument("import_id", type=_positive_int, metavar="IMPORT_ID")
    revert.set_defaults(func=cmd_import_revert)

    match = commands.add_parser(
        "match-file",
        help="match leader and supported schools from CSV files; prints a JSON summary",
        description="Exact matching from files: the most supported schools matched, then the largest "
        "total score. Give --leaders with --pairs to bring your own scores. The last line of output is a "
        "JSON summary.",
    )
    match.add_argument("--leaders", metavar="L.csv", help="leader_id,capacity (CSV or CSV.GZ)")
    match.add_argument("--pairs", metavar="P.csv", help="leader_id,supported_id,score: the eligible pairs")
    match.add_argument("--schools", metavar="S.csv", help="a school file, scored by Interschool")
    match.add_argument("--mode", choices=["vertical", "clusters", "organisations"], help="with --schools")
    match.add_argument("--organisations", metavar="O.csv", help="organisations, with --mode organisations")
    match.add_argument("--out", required=True, metavar="R.csv", help="file to write the matched pairs to")
    from interschool import matchschools

    matchschools.add_arguments(match)
    match.set_defaults(func=cmd_match_file)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as error:
        _fail(args, str(error))
    except KeyboardInterrupt:
        return 130


def _fail(args: argparse.Namespace, message: str) -> NoReturn:
    print(f"interschool {args.command}: error: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_ARGUMENTS)


if __name__ == "__main__":
    sys.exit(main())
