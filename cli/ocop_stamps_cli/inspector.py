"""Inspector commands of ``ocop-stamps`` (issue 6), standard library only::

ocop-stamps scans [--code C] [--lot L] [--batch B] [--product P] [--producer P]
                  [--province X] [--verdict V] [--from D] [--to D] [--limit N] [--all]
ocop-stamps export [same filters] -o FILE      CSV (UTF-8 with BOM), part by part, with progress
ocop-stamps alerts [--status open] [--type T] [--province X]
ocop-stamps alert {ack,resolve,dismiss} ALERT_ID [--note TEXT]
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO
from urllib.parse import urlencode

FILTERS = ("code", "lot", "batch", "product", "producer", "province", "verdict")


def _query(args: argparse.Namespace, **extra: Any) -> dict[str, str]:
    q = {name: getattr(args, name) for name in FILTERS if getattr(args, name, None)}
    if args.since:
        q["from"] = args.since
    if args.until:
        q["to"] = args.until
    q.update({k: str(v) for k, v in extra.items() if v is not None})
    return q


def _json(resp: Any) -> Any:
    return json.loads(resp.read().decode("utf-8"))


def cmd_scans(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    cursor = None
    while True:
        _, _, resp = client.request("GET", "/scans?" + urlencode(_query(args, limit=args.limit, cursor=cursor)))
        page = _json(resp)
        for item in page["items"]:
            out.write(
                f"{item['scanned_at']}  {item['verdict']:<14} {item['code']:<18} "
                f"{item.get('jurisdiction', '-'):<6} lot={item.get('lot_id', '-')} #{item.get('scan_no', '-')}\n"
            )
        cursor = page.get("next_cursor")
        if not (args.all and cursor):
            if cursor:
                out.write(f"(more: --all, or cursor {cursor[:24]}…)\n")
            return 0


def cmd_export(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    from ocop_stamps_cli.main import progress

    path = "/scans.csv?" + urlencode(_query(args))
    rows = parts = 0
    with open(args.output, "wb") as target:
        while path:
            _, headers, resp = client.request("GET", path)
            data = resp.read()
            if parts:  # later parts repeat the BOM and header line: keep the first only
                data = data.split(b"\r\n", 1)[1] if b"\r\n" in data else b""
            target.write(data)
            parts += 1
            rows += int(headers.get("x-row-count", "0"))
            progress(parts, parts + (1 if "link" in headers else 0), out, f"{rows} dòng / rows")
            link = headers.get("link", "")
            path = link[1 : link.index(">")] if link.startswith("<") else ""
    out.write(f"\n{rows} rows -> {args.output}\n")
    return 0


def cmd_alerts(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    q = {"status": args.status, "type": args.type, "province": args.province}
    _, _, resp = client.request("GET", "/alerts?" + urlencode({k: v for k, v in q.items() if v}))
    for a in _json(resp)["items"]:
        out.write(f"{a['alert_id']}  {a['status']:<12} {a['type']:<22} x{a['occurrences']:<5} {a['summary_vi']}\n")
    return 0


def cmd_alert(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    status = {"ack": "acknowledged", "resolve": "resolved", "dismiss": "dismissed"}[args.action]
    _, _, resp = client.request("POST", f"/alerts/{args.alert_id}/status", {"status": status, "note": args.note})
    alert = _json(resp)
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
    s.add_argument("--limit", type=int, default=50)
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
    a.set_defaults(func=cmd_alerts)
    one = sub.add_parser("alert", help="inspectors: acknowledge, resolve or dismiss an alert")
    one.add_argument("action", choices=["ack", "resolve", "dismiss"])
    one.add_argument("alert_id")
    one.add_argument("--note")
    one.set_defaults(func=cmd_alert)
