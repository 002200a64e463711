"""Inspector queries on the verification log: filters, province scope, sharded fan-out.

One filter picks the key (``code`` on the table; ``lot``, ``batch``, ``product``,
``producer``, ``province``, ``verdict`` on their sharded indexes -- see storage/keys.py); a
time range is a key condition on ``scan_key`` (ISO time first); every other filter and
the caller's province scope are a FilterExpression on the same Query. No request scans a
table. A sharded key is read as ``SHARDS`` Queries merged newest first; the opaque cursor
holds where each shard stopped, so a page costs at most ``SHARDS x values`` Queries.

A province's inspectors see the lines scanned there and their producers' lines scanned
anywhere (``storage.keys.audience``, issue 11): a province, as a key, is read on two indexes
(``by_province`` and ``by_home_province``, the second without what the first gives), so
a page costs ``2 x SHARDS x provinces`` Queries; as a filter it is ``seen_by``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from ocop_stamps.codes.scheme import normalize
from ocop_stamps.core import cursors, dates
from ocop_stamps.core.auth import Principal
from ocop_stamps.core.errors import BadRequest, Forbidden
from ocop_stamps.core.limits import BODY_BUDGET, text_bytes
from ocop_stamps.core.text import is_digits
from ocop_stamps.core.vocabulary import LOG_VERDICT_LABELS, VN_TZ
from ocop_stamps.places.provinces import CURRENT, OLD, merged_into
from ocop_stamps.places.scopes import EVERYWHERE, NO_PLACE, code_of, is_old, name_of, spellings_of
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage.keys import INDEXES, audience, partition_values
from ocop_stamps.storage.models import ScanItem
from ocop_stamps.storage.parameters import cursor_keys

VERDICTS = tuple(LOG_VERDICT_LABELS)
# Order in which a filter is preferred as the key: the most selective first.
KEY_ORDER = ("code", "lot", "batch", "product", "producer", "province", "verdict")


@dataclass(frozen=True)
class Scope:
    """Provinces a caller may read, as today's GSO codes (``None``: everywhere).

    An account's ``custom:provinces`` may name a province by today's code or name, or by an old
    one ('VN-03', 'Hà Giang'): each counts as the province it is part of today ('08', Tuyên
    Quang), whose scope includes the old parts' records (``places.scopes.spellings``)."""

    provinces: frozenset[str] | None

    @classmethod
    def of(cls, who: Principal) -> Scope:
        who.require("inspector", "admin")
        if "admin" in who.groups or EVERYWHERE in who.provinces:
            return cls(None)
        codes = frozenset(c for c in (code_of(p) for p in who.provinces) if c)
        if not codes:
            raise Forbidden(
                "Your inspector account has no provinces (`custom:provinces`); ask an admin.",
                "Tài khoản cán bộ kiểm tra chưa được giao tỉnh nào (`custom:provinces`); hãy liên hệ quản trị.",
            )
        return cls(codes)

    def allows(self, jurisdiction: str | None) -> bool:
        """Whether ``jurisdiction`` (today's code or an old one; None: unknown) is one of the caller's provinces."""
        return self.provinces is None or (code_of(jurisdiction) or NO_PLACE) in self.provinces

    def sees(self, places: Iterable[str | None], producer_province: str | None) -> bool:
        """Whether the caller may see a scan or an alert that happened in ``places`` and concerns
        a producer of ``producer_province`` (``storage.keys.audience``, the one rule)."""
        return self.provinces is None or any(p in self.provinces for p in audience(places, producer_province))

    def fingerprint(self) -> str:
        """The provinces as one string (``*``: everywhere): what a cursor is bound to."""
        return "*" if self.provinces is None else ",".join(sorted(self.provinces))


@dataclass
class Filters:
    code: str | None = None
    lot: str | None = None
    batch: str | None = None
    product: str | None = None
    producer: str | None = None
    province: str | None = None
    verdict: str | None = None
    since: str | None = None  # ISO UTC, inclusive
    until: str | None = None  # ISO UTC, exclusive
    extra: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        raw = json.dumps([getattr(self, k) for k in (*KEY_ORDER, "since", "until")], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _bad(en: str, vi: str) -> BadRequest:
    return BadRequest(en, vi)


def _instant(value: str, *, end: bool) -> str:
    """'2026-11-23' (a day in Vietnam) or an ISO date-time (no zone: Vietnam time) -> ISO UTC as
    scan keys have it; BadRequest for anything else or outside ``dates.QUERY`` (2000-01-01 to
    2099-12-31). ``end``: the filter is ``to`` (a day then includes the whole day)."""
    name = "to" if end else "from"
    try:
        if len(value) == 10:
            when: dt.date | dt.datetime = dt.date.fromisoformat(value)
        else:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(
            f"'{name}': '{value[:40]}' is not a date (YYYY-MM-DD) or an ISO date-time.",
            f"`{name}`: “{value[:40]}” không phải là ngày (dạng `YYYY-MM-DD`) hoặc thời điểm theo ISO 8601.",
        ) from None
    problem = dates.QUERY.problem(when)
    if problem is not None:
        raise _bad(f"'{name}' {problem}.", f"'{name}' {dates.PROBLEMS_VI[problem]}.")
    if isinstance(when, dt.datetime):
        moment = when if when.tzinfo is not None else when.replace(tzinfo=VN_TZ)
    else:
        moment = dt.datetime.combine(when + dt.timedelta(days=1 if end else 0), dt.time(), VN_TZ)
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def make_filters(
    *,
    code: str | None = None,
    lot: str | None = None,
    batch: str | None = None,
    product: str | None = None,
    producer: str | None = None,
    province: str | None = None,
    verdict: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Filters:
    f = Filters(lot=lot or None, product=product or None, producer=producer or None)
    if code:
        f.code = normalize(code)[:32] or "-"
    if batch:
        if not is_digits(batch):
            raise _bad("batch must be a batch number.", "Đợt tem (`batch`) phải là một số.")
        f.batch = str(int(batch))
    if province:
        f.province = province_filter(province)
    if verdict:
        if verdict not in VERDICTS:
            raise _bad(
                f"verdict must be one of {', '.join(VERDICTS)}.",
                "Kết luận (`verdict`) phải là một trong " + ", ".join(f"`{v}`" for v in VERDICTS) + ".",
            )
        f.verdict = verdict
    f.since = _instant(since, end=False) if since else None
    f.until = _instant(until, end=True) if until else None
    if f.since and f.until and f.since >= f.until:
        raise _bad("'from' must be before 'to'.", "Thời điểm bắt đầu (`from`) phải trước thời điểm kết thúc (`to`).")
    return f


def province_filter(value: str) -> str:
    """A ``province=`` filter as today's GSO code ('Hà Giang', 'VN-03' -> '08'; '-': no place
    known); BadRequest when it names no province of today or before."""
    if value == NO_PLACE:
        return NO_PLACE
    found = code_of(value)
    before = OLD.get(value.strip().zfill(2)) if is_digits(value.strip()) else None
    if found is None and before is not None:  # a GSO code of the 63: digits are read as today's codes only
        now = CURRENT[before.now]
        raise _bad(
            f"'{value[:40]}' was the code of {before.name} before 1 July 2025; it is part of {now.name} "
            f"today: give {now.code} or a name ('{before.name}' works too).",
            f"'{value[:40]}' là mã của {before.name} trước ngày 1/7/2025; nay thuộc {now.name}: "
            f"hãy ghi mã {now.code} hoặc tên (ghi “{before.name}” cũng được).",
        )
    if found is None:
        raise _bad(
            f"'{value[:40]}' is not a province (a name such as 'Thái Nguyên' or a code such as 19).",
            f"'{value[:40]}' không phải là tỉnh/thành (tên như 'Thái Nguyên' hoặc mã như 19).",
        )
    return found


def province_note(given: str | None) -> dict[str, str] | None:
    """What a response says about a ``province=`` filter: the province of today it was read as
    and, when it named an old province, that the answer is today's province with all its old
    parts ('Hà Giang' -> Tỉnh Tuyên Quang). None without a filter."""
    if not given or given == NO_PLACE:
        return None
    code = province_filter(given)
    out = {"given": given[:40], "code": code, "name": name_of(code)}
    if is_old(given) and len(merged_into(CURRENT[code])) > 1:  # a province left whole needs no note
        out["note_vi"] = f"'{given[:40]}' nay thuộc {name_of(code)}: kết quả gồm cả tỉnh/thành hiện nay."
        out["note_en"] = f"'{given[:40]}' is now part of {name_of(code)}: results cover the whole province of today."
    return out


# --- the plan: which key, which shards, which filter expression ---------------------------
@dataclass(frozen=True)
class Read:
    """One partition to read: of the table (``index`` None, by code) or of a sharded index."""

    index: str | None
    partition: str
    shard_attr: str  # the index's partition key attribute (``code`` for the table)
    # read through ``by_home_province`` for these provinces: what ``by_province`` already
    # gives for them (a jurisdiction among them) is left out, so no line comes twice
    not_places: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    reads: tuple[Read, ...]  # partitions to read and merge newest first
    key_filter: str  # the filter used as the key ("code", "lot", ...)


def _province_reads(provinces: list[str]) -> tuple[Read, ...]:
    """What the inspectors of ``provinces`` see (``storage.keys.audience``): the lines whose
    place is one of them (``by_province``) and their producers' lines from elsewhere
    (``by_home_province``, less the lines the first read gives). Each province is read under
    every value its lines may carry (``places.scopes.spellings``: its code and its old parts'
    ``VN-xx`` codes, at most 4), so lines written before issue 12 are read where they are."""
    index, attr = INDEXES["province"]
    home_index, home_attr = INDEXES["home_province"]
    values = spellings_of(provinces)
    places = tuple(values)
    return (
        *(Read(index, part, attr) for v in values for part in partition_values(v)),
        *(Read(home_index, part, home_attr, places) for v in values for part in partition_values(v)),
    )


def plan(filters: Filters, scope: Scope) -> Plan:
    if filters.province is not None and not scope.allows(filters.province):
        raise Forbidden(
            "That province is outside your scope.",
            "Tỉnh/thành này nằm ngoài phạm vi được giao cho bạn.",
        )
    for name in KEY_ORDER:
        value = getattr(filters, name)
        if value is None:
            continue
        if name == "province":
            return Plan(_province_reads([value]), name)
        index, attr = INDEXES[name]
        parts = (value,) if name == "code" else tuple(partition_values(value))
        return Plan(tuple(Read(index, part, attr) for part in parts), name)
    # No key filter: a scoped inspector reads its provinces; a national one every verdict.
    if scope.provinces is not None:
        return Plan(_province_reads(sorted(scope.provinces)), "province")
    index, attr = INDEXES["verdict"]
    return Plan(tuple(Read(index, p, attr) for v in VERDICTS for p in partition_values(v)), "verdict")


def seen_by(provinces: list[str]) -> Any:
    """The FilterExpression "the inspectors of ``provinces`` see this line": its place or its
    producer's province is one of them -- ``storage.keys.audience`` in DynamoDB's words. Lines
    written before issue 11 carry no ``home_province``: their place alone decides until the
    backfill (``storage.inspection.backfill_home_provinces``) gives them one. Old codes of the
    provinces' parts count too (``places.scopes.spellings``)."""
    values = spellings_of(provinces)
    return ScanItem.jurisdiction.is_in(*values) | ScanItem.home_province.is_in(*values)


def _conditions(filters: Filters, scope: Scope, key_filter: str) -> tuple[Any, Any]:
    range_cond: Any = None
    if filters.since and filters.until:
        range_cond = ScanItem.scan_key.between(filters.since, filters.until)
    elif filters.since:
        range_cond = ScanItem.scan_key >= filters.since
    elif filters.until:
        range_cond = ScanItem.scan_key < filters.until
    attrs = {
        "code": ScanItem.code,
        "lot": ScanItem.lot_id,
        "batch": ScanItem.batch_no,
        "product": ScanItem.product_id,
        "producer": ScanItem.producer_id,
        "verdict": ScanItem.verdict,
    }
    conds: list[Any] = []
    for name in KEY_ORDER:
        value = getattr(filters, name)
        if value is None or name == key_filter:
            continue
        if name == "province":  # the lines that province's inspectors see
            conds.append(seen_by([value]))
            continue
        conds.append(attrs[name] == (int(value) if name == "batch" else value))
    if scope.provinces is not None and not (key_filter == "province"):
        conds.append(seen_by(sorted(scope.provinces)))
    combined = None
    for c in conds:
        combined = c if combined is None else combined & c
    return range_cond, combined


def _with(condition: Any, extra: Any) -> Any:
    return extra if condition is None else condition & extra


# --- the composite cursor ------------------------------------------------------------------
# State {read's number in the plan: [scan_key, code] | null}, sealed by core.cursors: signed and
# bound to the route, the filters' fingerprint and the caller's provinces, so a cursor made up,
# altered or taken from another route, query or scope is refused (400 invalid_cursor) before any
# read. The plan is a function of the filters and the scope, so the numbers name the same reads.
SCANS_ROUTE = "GET /scans"
EXPORT_ROUTE = "GET /scans.csv"


def _binding(route: str, filters: Filters, scope: Scope) -> str:
    return f"{route}|{filters.fingerprint()}|{scope.fingerprint()}"


def _encode(binding: str, positions: dict[int, list[str] | None]) -> str:
    return cursors.seal(cursor_keys(), binding, {str(i): v for i, v in sorted(positions.items())})


def _decode(cursor: str, binding: str, reads: int) -> dict[int, list[str] | None]:
    data = cursors.unseal(cursor_keys(), binding, cursor)
    positions: dict[int, list[str] | None] = {}
    if not isinstance(data, dict):
        raise cursors.InvalidCursor()
    for key, value in data.items():
        i = int(key) if isinstance(key, str) and key.isascii() and is_digits(key) else -1
        well_formed = value is None or (
            isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
        )
        if not 0 <= i < reads or not well_formed:
            raise cursors.InvalidCursor()
        positions[i] = value
    return positions


def _sort_key(item: ScanItem) -> tuple[str, str]:
    return (item.scan_key, item.code)


@dataclass
class Page:
    items: list[ScanItem]
    next_cursor: str | None


def query(filters: Filters, scope: Scope, limit: int, cursor: str | None = None, route: str = SCANS_ROUTE) -> Page:
    """One page, newest first, merged over the plan's reads; the cursor in and out is
    ``route``'s (``InvalidCursor`` for any other)."""
    p = plan(filters, scope)
    binding = _binding(route, filters, scope)
    # per read: [scan_key, code] of the last item handed out, None when exhausted
    positions: dict[int, list[str] | None] = _decode(cursor, binding, len(p.reads)) if cursor else {}
    range_cond, filter_cond = _conditions(filters, scope, p.key_filter)
    fetched: dict[int, list[ScanItem]] = {}
    exhausted: dict[int, bool] = {}
    for i, read in enumerate(p.reads):
        if i in positions and positions[i] is None:
            continue
        start = None
        if positions.get(i):
            scan_key, code = positions[i]  # type: ignore[misc]
            start = {"code": {"S": code}, "scan_key": {"S": scan_key}}
            if read.index is not None:
                start[read.shard_attr] = {"S": read.partition}
        condition = filter_cond
        if read.not_places:
            condition = _with(condition, ~ScanItem.jurisdiction.is_in(*read.not_places))
        result = store.query_scans(read.index, read.partition, range_cond, condition, limit, start)
        fetched[i] = result.items
        exhausted[i] = result.exhausted
    merged = sorted(
        ((item, i) for i, items in fetched.items() for item in items),
        key=lambda pair: _sort_key(pair[0]),
        reverse=True,
    )[:limit]
    taken: dict[int, int] = {}
    for item, i in merged:
        positions[i] = [item.scan_key, item.code]
        taken[i] = taken.get(i, 0) + 1
    for i, items in fetched.items():
        if exhausted[i] and taken.get(i, 0) == len(items):
            positions[i] = None
    more = any(positions.get(i, []) is not None for i in range(len(p.reads)))
    page_items = [item for item, _ in merged]
    next_cursor = _encode(binding, positions) if more and page_items else None
    return Page(page_items, next_cursor)


def view(item: ScanItem) -> dict[str, Any]:
    """A log line for inspectors. Provinces are today's GSO codes with today's name (issue 12); a
    line written under an old code keeps it in ``jurisdiction_recorded`` ('VN-03')."""
    v = scan_view(item)
    if item.jurisdiction:
        v["jurisdiction"] = code_of(item.jurisdiction) or item.jurisdiction
        v["jurisdiction_name"] = name_of(item.jurisdiction)
        if v["jurisdiction"] != item.jurisdiction:
            v["jurisdiction_recorded"] = item.jurisdiction
    if item.home_province:  # the producer's province (issue 11)
        v["home_province"] = code_of(item.home_province) or item.home_province
    return v


# --- CSV export -------------------------------------------------------------------------------
CSV_COLUMNS = (
    ("scanned_at", "thời điểm (UTC)"),
    ("scanned_at_vn", "giờ Việt Nam"),
    ("code", "mã tem"),
    ("verdict", "kết luận"),
    ("verdicts", "các kết luận"),
    ("scan_no", "lần quét"),
    ("batch_id", "đợt tem"),
    ("serial", "số sê-ri"),
    ("lot_id", "lô"),
    ("product_id", "sản phẩm"),
    ("producer_id", "chủ thể"),
    ("jurisdiction", "tỉnh (mã)"),
    ("jurisdiction_name", "tỉnh"),
    ("country", "quốc gia"),
    ("channel", "kênh"),
    ("client_hash", "máy quét (băm)"),
    ("ua_family", "trình duyệt"),
    ("reason", "lý do"),
    ("report_where", "nơi mua (báo cáo)"),
    ("report_note", "ghi chú (báo cáo)"),
    ("label_lot", "lô in trên nhãn"),
    ("flags", "ghi nhận thêm"),
    ("kind", "loại truy cập"),  # person, preview, bot, prefetch, head, report (issue 11)
    ("home_province", "tỉnh của chủ thể (mã)"),  # the producer's province, which sees the line too (issue 11)
    ("jurisdiction_recorded", "mã tỉnh khi ghi nhận (trước 01/07/2025)"),  # an old VN-xx code, as written (issue 12)
    # appended last, so every column above keeps its place; empty on lines written before
    ("lot_code", "mã lô"),
    ("product_name", "tên sản phẩm"),
)
BOM = "\ufeff"


def _vn_time(iso_utc: str) -> str:
    """The scan's time in Vietnam, ``dd/mm/yyyy HH:MM:SS``; a stored value that is no time, as written."""
    return dates.show_precise(iso_utc)


def _safe(value: Any) -> str:
    """A cell as text; a leading = + - @ is quoted so a spreadsheet never runs it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and text != "-" else text


def csv_rows(items: list[ScanItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for item in items:
        v = view(item)
        v["scanned_at_vn"] = _vn_time(item.scanned_at)
        v["verdicts"] = " ".join(v.get("verdicts", []))
        v["flags"] = " ".join(v.get("flags", []))
        writer.writerow([_safe(v.get(col)) for col, _ in CSV_COLUMNS])
    return out.getvalue()


def csv_header() -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([f"{col} ({vi})" for col, vi in CSV_COLUMNS])
    return BOM + out.getvalue()


def export_csv(
    filters: Filters,
    scope: Scope,
    max_rows: int,
    cursor: str | None = None,
    page_size: int = 200,
    budget: int | None = None,
) -> tuple[Iterator[str], dict[str, Any]]:
    """CSV text in chunks (header first, with a BOM so Excel reads UTF-8), at most
    ``max_rows`` rows and at most ``budget`` bytes as Lambda measures a body (default
    ``core.limits.BODY_BUDGET``: rows are as long as the reports in them, so the part ends
    where the next rows would not fit). ``state["next_cursor"]`` is set once the iterator is spent
    when more rows remain (the response links to the next part)."""
    state: dict[str, Any] = {"rows": 0, "next_cursor": None}

    def chunks() -> Iterator[str]:
        header = csv_header()
        left = (BODY_BUDGET if budget is None else budget) - text_bytes(header)
        yield header
        nonlocal cursor
        while state["rows"] < max_rows:
            page = query(filters, scope, min(page_size, max_rows - state["rows"]), cursor, EXPORT_ROUTE)
            rows = [csv_rows([item]) for item in page.items]
            sizes = [text_bytes(row) for row in rows]
            if sum(sizes) > left:
                # only the first rows fit: read exactly those again, so the cursor stops after them
                fit = sum(1 for total in accumulate(sizes) if total <= left)
                if fit:
                    page = query(filters, scope, fit, cursor, EXPORT_ROUTE)
                    rows = [csv_rows([item]) for item in page.items]
                if not fit or sum(text_bytes(row) for row in rows) > left:  # nothing fits (or the log moved)
                    state["next_cursor"] = cursor
                    return
                state["rows"] += len(rows)
                yield "".join(rows)
                state["next_cursor"] = page.next_cursor
                return
            state["rows"] += len(rows)
            left -= sum(sizes)
            if rows:
                yield "".join(rows)
            cursor = page.next_cursor
            if not cursor:
                return
        state["next_cursor"] = cursor

    return chunks(), state


def scan_view(s: ScanItem) -> dict[str, Any]:
    view = {
        "code": s.code,
        "scanned_at": s.scanned_at,
        "verdict": s.verdict,
        "verdicts": list(s.verdicts),
        "channel": s.channel,
        "scan_no": s.scan_no,
        "batch_id": None if s.batch_no is None else str(int(s.batch_no)),
        "serial": s.serial,
        "lot_id": s.lot_id,
        "lot_code": s.lot_code,
        "product_id": s.product_id,
        "product_name": s.product_name,
        "producer_id": s.producer_id,
        "country": s.country,
        "province": s.province,
        "client_hash": s.client_hash,
        "ua_family": s.ua_family,
        "reason": s.reason,
        "kind": s.kind,
        "report_where": s.report_where,
        "report_note": s.report_note,
        "report_province": s.report_province,
        "label_lot": s.label_lot,
        "flags": list(s.flags) if s.flags else None,
    }
    return {k: (int(v) if isinstance(v, float) else v) for k, v in view.items() if v is not None}
