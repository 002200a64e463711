"""Summaries from the detector's daily counters, and small SVG charts of them.

A summary never reads raw scans: the detector ADDs to ``STATS#{scope}#{shard}/{day}``
(scope ``all``, ``province:{code}``, ``producer:id``, ``product:id``), so a 30-day summary
is 8 shards x (scopes asked) Queries of at most 30 items each, whatever the number of
scans. Counters of a producer or product are totals over every province (aggregates,
never records), so any inspector may read them; a province scope reads its provinces:
the scans made there (``province:{code}``) and its producers' scans made elsewhere
(``away:{code}``, verdicts by place ``vp:{verdict}|{place}``, issue 11), a place that is
itself in the scope counted once. Codes are today's (issue 12); a province also reads the
counters written under its old parts' ``VN-xx`` codes (``places.scopes.spellings``) and
counts every place as the province it is part of today.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from ocop_stamps.core import dates
from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.ids import utc_now
from ocop_stamps.core.vocabulary import ALERT_TYPE_LABELS, LOG_VERDICT_LABELS, LOOKUP, REPORT, VN_TZ, AlertType, Verdict
from ocop_stamps.inspection.alerts import open_counts
from ocop_stamps.inspection.queries import VERDICTS, Scope
from ocop_stamps.places.scopes import code_of, name_of, spellings_of
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage.keys import SHARDS, stats_key

MAX_DAYS = 92
COLOURS: dict[str, str] = {
    Verdict.genuine: "#1b7f3b",
    Verdict.repeat: "#b26a00",
    Verdict.not_activated: "#6b6b6b",
    Verdict.expired: "#8a5a00",
    Verdict.void: "#5b2a86",
    Verdict.recalled: "#b00020",
    Verdict.unknown: "#1f4e9c",
    REPORT: "#c2185b",
    LOOKUP: "#9e9e9e",
}


def _verdict_vi(verdict: str) -> str:
    return LOG_VERDICT_LABELS[verdict][0] if verdict in LOG_VERDICT_LABELS else verdict


def _alert_type_vi(kind: str) -> str:
    return ALERT_TYPE_LABELS[AlertType(kind)][0] if kind in ALERT_TYPE_LABELS else kind


def _scopes(scope: Scope, producer: str | None, product: str | None) -> tuple[str, list[str]]:
    if product:
        return f"product:{product}", [f"product:{product}"]
    if producer:
        return f"producer:{producer}", [f"producer:{producer}"]
    if scope.provinces is None:
        return "all", ["all"]
    provinces = sorted(scope.provinces)
    values = spellings_of(provinces)  # today's codes and their old parts' (counters before issue 12)
    return "provinces:" + ",".join(provinces), [f"{kind}:{p}" for kind in ("province", "away") for p in values]


def summarize(
    scope: Scope,
    *,
    producer: str | None = None,
    product: str | None = None,
    days: int = 30,
    today: dt.date | None = None,
) -> dict[str, Any]:
    if not 1 <= days <= MAX_DAYS:
        raise BadRequest(f"days must be 1 to {MAX_DAYS}.", f"Số ngày (`days`) phải từ 1 đến {MAX_DAYS}.")
    last = today or utc_now().astimezone(VN_TZ).date()
    first = last - dt.timedelta(days=days - 1)
    label, keys = _scopes(scope, producer, product)
    per_day: dict[str, dict[str, int]] = {(first + dt.timedelta(days=i)).isoformat(): {} for i in range(days)}
    provinces: dict[str, int] = {}
    for key in keys:
        for shard in range(SHARDS):
            items, _, _ = store.query_partition(
                stats_key(key, shard),
                sk_between=(first.isoformat(), last.isoformat()),
                newest_first=False,
                limit=MAX_DAYS,
            )
            for item in items:
                day = per_day.setdefault(item["sk"], {})
                for name, value in item.items():
                    if name.startswith("v:"):
                        day[name[2:]] = day.get(name[2:], 0) + int(value)
                    elif name.startswith("p:"):
                        p = code_of(name[2:]) or name[2:]  # an old VN-xx place counts as today's province
                        if scope.provinces is None or p in scope.provinces or key != "all":
                            provinces[p] = provinces.get(p, 0) + int(value)
                    elif name.startswith("vp:"):  # away: counted under province:{place} if in scope
                        verdict, _, place = name[3:].partition("|")
                        p = code_of(place) or place
                        if scope.provinces is None or p not in scope.provinces:
                            day[verdict] = day.get(verdict, 0) + int(value)
                            provinces[p] = provinces.get(p, 0) + int(value)
    totals: dict[str, int] = {}
    for counts in per_day.values():
        for verdict, n in counts.items():
            totals[verdict] = totals.get(verdict, 0) + n
    top = sorted(provinces.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {
        "scope": label,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": [{"day": d, "total": sum(c.values()), "verdicts": c} for d, c in sorted(per_day.items())],
        "totals": totals,
        "top_provinces": [{"province": p, "name": name_of(p), "scans": n} for p, n in top],
        "open_alerts": open_counts(scope),
    }


# --- SVG ---------------------------------------------------------------------------------------
def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>"
    )


def chart_verdicts(summary: dict[str, Any]) -> str:
    """Scans per day, stacked by verdict, with a legend."""
    days = summary["days"]
    width, height, left, top, bottom = 640, 260, 40, 28, 60
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max([d["total"] for d in days] + [1])
    bar = plot_w / max(len(days), 1)
    title = f"Lượt quét mỗi ngày theo kết luận ({dates.show(summary['from'])} – {dates.show(summary['to'])})"
    body = [f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{round(peak * frac)}</text>')
    for i, d in enumerate(days):
        y = top + plot_h
        for verdict in VERDICTS:
            n = d["verdicts"].get(verdict, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            body.append(
                f'<rect x="{left + i * bar + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(verdict, "#999")}"><title>{escape(dates.show(d["day"]))}: {n} {escape(_verdict_vi(verdict))}</title></rect>'
            )
    for i in (0, len(days) - 1):
        if days:
            x = left + i * bar + bar / 2
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle">{escape(dates.show(days[i]["day"])[:5])}</text>'
            )
    x = left
    for verdict in VERDICTS:
        if summary["totals"].get(verdict):
            label = f"{_verdict_vi(verdict)} ({summary['totals'][verdict]})"
            body.append(
                f'<rect x="{x}" y="{height - 22}" width="10" height="10" fill="{COLOURS.get(verdict, "#999")}"/>'
            )
            body.append(f'<text x="{x + 14}" y="{height - 13}">{escape(label)}</text>')
            x += 24 + 6 * len(label)
    return _svg(width, height, title, body)


def chart_bars(title: str, rows: list[tuple[str, int]], colour: str = "#1f4e9c") -> str:
    """Horizontal bars: top provinces, or open alerts by type."""
    width, row_h, left = 520, 22, 190
    height = 34 + row_h * max(len(rows), 1)
    peak = max([n for _, n in rows] + [1])
    body = [f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    if not rows:
        body.append('<text x="8" y="44">Không có dữ liệu</text>')
    for i, (label, n) in enumerate(rows):
        y = 28 + i * row_h
        w = (width - left - 50) * n / peak
        body.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}"/>')
        body.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{n}</text>')
    return _svg(width, height, title, body)


def chart(summary: dict[str, Any], kind: str) -> str:
    if kind == "verdicts":
        return chart_verdicts(summary)
    if kind == "provinces":
        rows = [(p["name"], p["scans"]) for p in summary["top_provinces"]]
        return chart_bars("Tỉnh/thành có nhiều lượt quét nhất", rows)
    if kind == "alerts":
        rows = [(_alert_type_vi(t), n) for t, n in sorted(summary["open_alerts"].items(), key=lambda kv: -kv[1])]
        return chart_bars("Cảnh báo đang mở theo loại", rows, "#b00020")
    raise BadRequest(
        "chart must be verdicts, provinces or alerts.",
        "Biểu đồ (`chart`) phải là `verdicts`, `provinces` hoặc `alerts`.",
    )
