"""`owui-router install` / `owui-router uninstall`: put the router filter into Open WebUI through its REST API.

The credential comes from the environment or a file, never from the command line, and is never
printed. Every error is one line on stderr and a non-zero exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ..openwebui.client import connect, get_function, get_function_valves, resolve_credentials
from ..openwebui.errors import EXIT_OK, EXIT_USAGE, InstallError
from ..openwebui.plan import MODEL_ID, apply, plan_install, plan_uninstall
from ..openwebui.source import collect_valves, default_function_file, load_function_source

PROG = "owui-router"
DEFAULT_URL = "http://localhost:3000"
DEFAULT_FUNCTION_ID = "router_filter"
SECRET_FLAGS = ("--api-key", "--apikey", "--key", "--token", "--password", "--secret")


class _Parser(argparse.ArgumentParser):
    """argparse that reports one line and never echoes values (they could be secrets)."""

    def error(self, message: str):  # noqa: D401
        raise InstallError(f"{message.splitlines()[0] if message else 'bad arguments'} (see --help)", EXIT_USAGE)


def build_parser(command: str) -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} {command}",
        description=(
            "Install the router filter into Open WebUI through its API." if command == "install"
            else "Remove the router filter (and the 'auto' model the installer created) from Open WebUI."
        ),
        epilog=(
            "Credentials (never on the command line): OWUI_API_KEY, or OWUI_API_KEY_FILE / --api-key-file, "
            "or OWUI_ADMIN_EMAIL + OWUI_ADMIN_PASSWORD (or OWUI_ADMIN_PASSWORD_FILE)."
        ),
    )
    p.add_argument("--url", default=None, help=f"Open WebUI base URL (env OWUI_URL, default {DEFAULT_URL})")
    p.add_argument("--api-key-file", default=None, help="file holding an admin's API key (sk-...)")
    p.add_argument("--id", dest="fid", default=DEFAULT_FUNCTION_ID, help="function id (default %(default)s)")
    p.add_argument("--file", default=None, help="function source (default <repo>/functions/router_filter.py)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    p.add_argument("--force", action="store_true",
                   help="take over a function id that another function uses")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default %(default)s)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="keep retrying for up to SECONDS while Open WebUI is unreachable or does not list "
                        "the routed models yet (for start-up jobs; default: fail at once)")
    if command == "install":
        p.add_argument("--global", dest="make_global", action="store_true",
                       help="make the filter global (runs for every model; routes the models in route_from_models)")
        p.add_argument("--no-model", action="store_true",
                       help=f"do not create/update the workspace model {MODEL_ID!r}")
        p.add_argument("--valves", metavar="FILE.json", default=None, help="valves to set, as a JSON object")
        p.add_argument("--set", dest="pairs", metavar="KEY=VALUE", action="append", default=[],
                       help="set one valve (repeatable; typed by the Valves spec)")
        p.add_argument("--no-share-aliases", action="store_true",
                       help="do not give all users read access to the routed aliases that have no access entry")
        p.add_argument("--reset-valves", action="store_true",
                       help="drop the stored valves (back to the defaults) before applying --valves/--set")
    else:
        p.add_argument("--keep-model", action="store_true",
                       help=f"keep the workspace model {MODEL_ID!r} (only detach the filter)")
    return p


def _refuse_secret_flags(argv: list[str]) -> None:
    for a in argv:
        flag = a.split("=", 1)[0].lower()
        if flag in SECRET_FLAGS:
            raise InstallError(
                f"{flag} is not accepted: secrets never go on the command line; "
                "use OWUI_API_KEY, OWUI_API_KEY_FILE or --api-key-file",
                EXIT_USAGE,
            )


def run(argv: list[str], env: dict | None = None, out=None, session=None) -> int:
    env = dict(os.environ if env is None else env)
    out = out or sys.stdout
    if not argv or argv[0] not in ("install", "uninstall"):
        raise InstallError("expected 'install' or 'uninstall'", EXIT_USAGE)
    command, rest = argv[0], list(argv[1:])
    _refuse_secret_flags(rest)
    args = build_parser(command).parse_args(rest)
    url = args.url or env.get("OWUI_URL", "").strip() or DEFAULT_URL
    fid = args.fid.strip()
    if not fid.isidentifier() or fid != fid.lower():
        raise InstallError(f"--id {fid!r}: Open WebUI needs a lowercase Python identifier (letters, digits, _)", EXIT_USAGE)
    path = Path(args.file) if args.file else default_function_file()

    def say(line: str) -> None:
        print(line, file=out)

    def prepare():
        client, config = connect(url, creds, args.timeout, session)
        if command == "install":
            plan, effective = plan_install(
                client, src, fid, new_valves,
                make_global=args.make_global, with_model=not args.no_model, force=args.force,
                reset_valves=args.reset_valves, share_aliases=not args.no_share_aliases,
            )
        else:
            plan, effective = plan_uninstall(client, src, fid, keep_model=args.keep_model, force=args.force), {}
        return client, config, plan, effective

    if command == "install":
        src = load_function_source(path)
        new_valves = collect_valves(src, args.valves, args.pairs)
    else:
        src = load_function_source(path) if path.exists() else None
    creds = resolve_credentials(env, args.api_key_file)
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        try:
            client, config, plan, effective = prepare()
            break
        except InstallError as exc:
            if not exc.retry or time.monotonic() + 2.0 > deadline:
                raise
            print(f"waiting: {exc}", file=out)
            time.sleep(2.0)

    head = f"Open WebUI {config.get('version', '?')} at {client.url}"
    say(f"{head}{' (dry run: nothing will change)' if args.dry_run else ''}")
    for step in plan.steps:
        say(f"  {'*' if step.method else '-'} {step.text}")
    for note in plan.notes:
        say(f"  note: {note}")
    if args.dry_run:
        say(f"{len(plan.changes)} change(s) planned")
        return EXIT_OK
    apply(client, plan)

    if command == "install":
        fn = get_function(client, fid)
        if not fn or not fn.get("is_active") or bool(fn.get("is_global")) != args.make_global:
            raise InstallError(f"function {fid!r} is not in the expected state after install")
        valves = get_function_valves(client, fid)
        extra = f", model {MODEL_ID!r}" if not args.no_model else ""
        say(f"installed {fid!r}: active, {'global' if args.make_global else 'not global'}{extra}; "
            f"routes to {effective.get('code_model')} / {effective.get('chat_model')} / "
            f"{effective.get('vision_model') or '(no vision)'}; stored valves: {json.dumps(valves, sort_keys=True)}")
    else:
        if get_function(client, fid) is not None:
            raise InstallError(f"function {fid!r} is still present after uninstall")
        say(f"uninstalled {fid!r} ({len(plan.changes)} change(s))")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: argv[0] is 'install' or 'uninstall'. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in ("-h", "--help"):
        argv = ["install", *argv]
    command = argv[0] if argv else "install"
    try:
        return run(argv)
    except InstallError as exc:
        print(f"{PROG} {command}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"{PROG} {command}: error: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
