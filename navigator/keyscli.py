"""``blindpilot keys create|list|revoke``: API keys from the terminal (the admin API's twin for
whoever holds the database, e.g. to make the first admin key or revoke a leaked one)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from navigator.cliparts import examples, open_storage


def cmd_keys_create(args: argparse.Namespace) -> int:
    storage = open_storage(args.db)
    key = storage.create_api_key(args.role)
    print(f"new {args.role} key (shown once, store it now):", file=sys.stderr)
    print(key)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = open_storage(args.db).list_api_keys()
    print(f"{'id':>5}  {'prefix':12}  {'role':10}  {'created (UTC)':19}  state")
    for k in keys:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(k.created_ts))
        state = "revoked" if k.revoked else "active"
        print(f"{k.id:>5}  {k.prefix:12}  {k.role:10}  {created:19}  {state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    key = open_storage(args.db).revoke_api_key(args.id)
    print(f"revoked key {key.id} ({key.prefix}…, {key.role}); every server refuses it from its "
          "next request on")
    return 0


def add_keys_parser(sub: Any, roles: tuple[str, ...]) -> None:
    """The ``keys`` command and its three subcommands, on the top-level subparsers ``sub``."""
    keys = sub.add_parser(
        "keys", help="manage API keys", description="manage API keys",
        **examples("blindpilot keys create --role mapper", "blindpilot keys list",
                    "blindpilot keys revoke 3"),
    ).add_subparsers(dest="keys_command", required=True)
    sp = keys.add_parser(
        "create", help="print a new API key (stored hashed)",
        description="print a new API key (stored hashed), alone on the last line of stdout",
        **examples("blindpilot keys create --role mapper --db sqlite:///blindpilot.db"),
    )
    sp.set_defaults(func=cmd_keys_create)
    sp.add_argument("--role", required=True, choices=roles)
    sp.add_argument("--db")
    sp = keys.add_parser(
        "list", help="list keys by id and prefix (never the key itself)",
        description="list every key by id, prefix, role, creation time and state",
        **examples("blindpilot keys list --db sqlite:///blindpilot.db"))
    sp.set_defaults(func=cmd_keys_list)
    sp.add_argument("--db")
    sp = keys.add_parser(
        "revoke", help="revoke a key by id (refused at once by every server)",
        description="revoke a key by its id from `keys list`; every server process refuses it "
                    "from its next request on",
        **examples("blindpilot keys revoke 3 --db sqlite:///blindpilot.db"))
    sp.set_defaults(func=cmd_keys_revoke)
    sp.add_argument("id", type=int, help="the key's id, as `blindpilot keys list` shows it")
    sp.add_argument("--db")
