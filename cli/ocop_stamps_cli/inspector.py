"""Inspector commands of ``ocop-stamps`` (issue 6), standard library only::

ocop-stamps scans [--code C] [--lot L] [--batch B] [--product P] [--producer P]
                  [--province X] [--verdict V] [--from D] [--to D] [--limit N] [--all]
ocop-stamps export [same filters] [-o FILE]     CSV (UTF-8 with BOM), every part, with progress
ocop-stamps alerts [--status open] [--type T] [--province X] [--limit N] [--all]
ocop-stamps alert {ack,resolve,dismiss} ALERT_ID [--note TEXT]   (a note is required to close)
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO
from urllib.parse import quote, urlencode

from ocop_stamps_cli.main import next_link, progress, saving

FILTERS = ("code", "lot", "batch", "product", "producer", "province", "verdict")
ACTIONS = {"ack": "acknowledged", "resolve": "resolved", "dismiss": "dismissed"}


def _query(args: argparse.Namespace, **extra: Any) -> dict[str, str]:
    """The log's filters as the API's query parameters (``--from``/``--to`` are ``from``/``to``)."""
    q = {name: getattr(args, name) for name in FILTERS if getattr(args, name, None)}
    if args.since:
        q["from"] = args.since
    if args.until:
        q["to"] = args.until
    q.update({k: str(v) for k, v in extra.items() if v is not None})
    return q


def _pages(client: Any, path: str, query: dict[str, str], follow: bool, err: TextIO) -> Any:
    """Yields the items of a paged listing: the first page, or every page with ``follow``."""
    cursor = None
    while True:
        page = client.json("GET", f"{path}?{urlencode({**query, **({'cursor': cursor} if cursor else {})})}")
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return
        if not follow:
            err.write("(more: add --all to follow every page)\n")
            return


def cmd_scans(client: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The verification log, newest first: one line per scan."""
    count = 0
    for item in _pages(client, "/scans", _query(args, limit=args.limit), args.all, err):
        count += 1
        out.write(
            f"{item['scanned_at']}  {item['verdict']:<14} {item['code']:<18} "
            f"{item.get('jurisdiction') or '-':<6} lot={item.get('lot_id') or '-'} #{item.get('scan_no') or '-'}\n"
        )
    if not count:
        err.write("(no scans match)\n")
    return 0


def cmd_export(client: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """A log query as one CSV file: every part the API links to, the BOM and header line once."""
    path: str | None = "/scans.csv?" + urlencode(_query(args))
    rows = parts = 0
    with saving(args.output) as target:
        while path:
            _, headers, resp = client.request("GET", path)
            if parts:  # a later part repeats the BOM and header line: keep the first only
                resp.readline()
            while block := resp.read(256 * 1024):
                target.write(block)
            parts += 1
            rows += int(headers.get("x-row-count", "0"))
            path = next_link(headers)
            progress(parts, parts + (1 if path else 0), err, f"{rows} dòng / rows, {parts} part(s)")
    err.write("\n")
    out.write(f"{rows} rows -> {args.output}\n")
    return 0


def cmd_alerts(client: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The alert queue, newest first: one line per alert."""
    q = {"status": args.status, "type": args.type, "province": args.province, "limit": str(args.limit)}
    count = 0
    for a in _pages(client, "/alerts", {k: v for k, v in q.items() if v}, args.all, err):
        count += 1
        out.write(
            f"{a['alert_id']}  {a['status']:<12} {a['type']:<22} x{a.get('occurrences', 1):<5} "
            f"{a.get('province_name') or a.get('province') or '-'}  {a.get('summary_vi', '')}\n"
        )
    if not count:
        err.write(f"(no {args.status} alerts)\n")
    return 0


def cmd_alert(client: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Moves one alert on: acknowledged, resolved or dismissed (with a note)."""
    body = {"status": ACTIONS[args.action]}
    if args.note:
        body["note"] = args.note
    alert = client.json("POST", f"/alerts/{quote(args.alert_id, safe='')}/status", body)
    out.write(f"{alert['alert_id']}: {alert['status']}\n")
    return 0


def _filters(p: argparse.ArgumentParser) -> None:
    for name in FILTERS:
        p.add_argument(f"--{name}")
    p.add_argument("--from", dest="since", help="YYYY-MM-DD (a day in Vietnam) or ISO date-time")
    p.add_argument("--to", dest="until")


def add_commands(sub: Any) -> None:
    """Adds the inspector subcommands to ``ocop-stamps``'s parser."""
    s = sub.add_parser("scans", help="inspectors: the verification log, newest first")
    _filters(s)
    s.add_argument("--limit", type=int, default=50, help="scans per page (1-200)")
    s.add_argument("--all", action="store_true", help="follow every page")
    s.set_defaults(func=cmd_scans)
    e = sub.add_parser("export", help="inspectors: export a log query as CSV, with a progress bar")
    _filters(e)
    e.add_argument("-o", "--output", default="scans.csv")
    e.set_defaults(func=cmd_export)
    a = sub.add_parser("alerts", help="inspectors: the alert queue")
    a.add_argument("--status", default="open", choices=["open", "acknowledged", "resolved", "dismissed"])
    a.add_argument("--type")
    a.add_argument("--province")
    a.add_argument("--limit", type=int, default=50, help="alerts per page (1-200)")
    a.add_argument("--all", action="store_true", help="follow every page")
    a.set_defaults(func=cmd_alerts)
    one = sub.add_parser("alert", help="inspectors: acknowledge, resolve or dismiss an alert")
    one.add_argument("action", choices=list(ACTIONS))
    one.add_argument("alert_id")
    one.add_argument("--note", help="why (required to resolve or dismiss)")
    one.set_defaults(func=cmd_alert)
