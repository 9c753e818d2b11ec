"""The ``lamin-core`` command line: set up, connect, show and delete instances; recover a storage.

A thin layer over the library; every verb calls one function of
:mod:`lamindb_core.setup`, or ``Storage.recover``.
Errors that a user can fix (a missing instance, a database that cannot be
reached) print one line ``error: ...`` on standard error and exit with 1.

Example:
    $ lamin-core init --storage ./mydata
    → initialized lamindb: testuser1/mydata
    $ lamin-core info
    $ lamin-core connect testuser1/mydata
    $ lamin-core storage recover --dry-run
    $ lamin-core delete mydata
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__, setup
from .errors import InvalidArgument, SetupError
from .config import current_slug, list_instances, load_instance
from .instance import current_storage

__all__ = ["main", "build_parser"]

PROG = "lamin-core"


def _cmd_init(args: argparse.Namespace) -> int:
    setup.init(storage=args.storage, db=args.db, name=args.name, modules=args.modules)
    return 0


def _cmd_connect(args: argparse.Namespace) -> int:
    setup.connect(args.instance)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    # read-only: `info` never creates the default instance, unlike the first query
    slug = current_slug()
    instances = list_instances()
    current = None
    if slug is not None:
        try:
            current = load_instance(slug)
        except SetupError:
            current = None
    user = setup.settings.user
    if current is None:
        print("Current instance: none (the first query sets up an embedded default instance)")
    else:
        print(f"Current instance: {current.slug}")
        print(f"  storage:  {current.storage}")
        print(f"  database: {current.db_display}")
        print(f"  modules:  {', '.join(current.modules) or '-'}")
    print(f"User: {user.handle} ({user.name}, uid {user.uid})")
    if instances:
        print("Registered instances:")
        for inst in instances:
            marker = "*" if current is not None and inst.slug == current.slug else " "
            print(f"  {marker} {inst.slug}  {inst.db_display}")
    else:
        print("Registered instances: none")
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    if args.force:
        setup.delete(args.instance, force=True)
        return 0
    summary = setup.deletion_summary(args.instance)
    if summary is None:
        setup.delete(args.instance)
        return 0
    print(f"{summary}. Delete the instance with them? [y/N] ", end="", flush=True)
    try:
        answer = input().strip().lower()
    except EOFError:
        answer = ""
        print()
    if answer not in ("y", "yes"):
        raise SetupError(f"not deleted: {summary}; answer y, or pass --force")
    setup.delete(args.instance, force=True)
    return 0


def _cmd_storage(args: argparse.Namespace) -> int:
    # a storage to recover is an existing instance's: this never sets up the default one
    if current_slug() is None:
        raise SetupError("no current instance, so no storage to recover: lamin-core connect NAME first")
    report = current_storage().recover(dry_run=args.dry_run)
    print(report)
    return 0


# One table of subcommands: name, handler, one-line help, example(s) shown in `--help`.
COMMANDS: dict[str, tuple] = {
    "init": (
        _cmd_init,
        "Create an instance (SQLite in the storage folder, or PostgreSQL) and make it current.",
        "  lamin-core init --storage ./mydata\n"
        "  lamin-core init --storage ./shared --db postgresql://me@dbhost:5432/lab --name lab\n"
        "  lamin-core init --storage ./mydata --modules bio",
    ),
    "connect": (
        _cmd_connect,
        "Make a registered instance current; new processes use it on import.",
        "  lamin-core connect testuser1/mydata\n"
        "  lamin-core connect mydata          # an instance of the local user",
    ),
    "info": (
        _cmd_info,
        "Show the current instance, the local user and the registered instances.",
        "  lamin-core info",
    ),
    "delete": (
        _cmd_delete,
        "Delete an instance: its database (SQLite file or PostgreSQL tables) and its registration.",
        "  lamin-core delete mydata                     # asks if it holds records or files\n"
        "  lamin-core delete testuser1/mydata --force   # without asking",
    ),
    "storage": (
        _cmd_storage,
        "Recover the current instance's storage after interrupted saves (a killed process): remove "
        "stored files without a record and temporary files. Saves in progress and files with a "
        "record are never touched; each save into the storage does this by itself, too.",
        "  lamin-core storage recover --dry-run   # list what would be removed\n"
        "  lamin-core storage recover",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lamin-core``, one subparser per verb."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Set up and manage lamindb-core instances.",
        epilog="Example:\n  lamin-core init --storage ./mydata\n  lamin-core info",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {}
    for name, (handler, help_text, example) in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog="Example:\n" + example,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(handler=handler)
        parsers[name] = p

    p = parsers["init"]
    p.add_argument("--storage", required=True, help="Storage folder; created if missing.")
    p.add_argument(
        "--db", default=None, metavar="URL",
        help="PostgreSQL URL, postgresql://user@host:port/dbname (default: SQLite in the storage folder).",
    )
    p.add_argument("--name", default=None, help="Instance name (default: the storage folder's name).")
    p.add_argument(
        "--modules", default=None,
        help="Comma-separated extra registries, e.g. 'bio'.",
    )
    parsers["connect"].add_argument("instance", metavar="INSTANCE", help="owner/name, or name of the local user.")
    p = parsers["storage"]
    p.add_argument("action", choices=["recover"], metavar="ACTION", help="recover: clean up after interrupted saves.")
    p.add_argument("--dry-run", action="store_true", help="Only report what would be removed.")
    p = parsers["delete"]
    p.add_argument("instance", metavar="NAME", help="owner/name, or name of the local user.")
    p.add_argument(
        "--force", action="store_true",
        help="Delete its records and stored artifact files without asking.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lamin-core`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Example:
        >>> main(["info"])
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except (SetupError, InvalidArgument, OSError) as error:
        # one line a user can act on; a traceback would only hide it
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
