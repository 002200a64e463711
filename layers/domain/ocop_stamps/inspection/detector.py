"""The anomaly detector: scan records from the Scans table's stream in, alerts out.

For each new scan record (stream INSERT), in stream order:

1. decide which rules fire (``rules_for``): a code checked from more distinct scanners
   (client hashes) than the 24-hour or 7-day threshold (per product) allows -- the page's
   own notion of ``repeat``, so one device checking its jar again raises nothing --, the
   same code seen in two places faster than travel allows,
   a burst of ``unknown`` codes from one client hash or one place (enumeration), any scan
   of a ``void``, ``recalled``, ``expired`` or ``not_activated`` stamp, a consumer report
   (one alert per code a day; reports on codes never issued share one alert per province
   a day, and a client's reports past ``report_client`` a day share one alert per client);
   a ``lookup`` line (a Digital Link HEAD, linkset or redirect) raises and counts nothing;
   a scratch-off PIN entry (kind ``pin``, issue 14) raises ``pin_second_claim`` when the right
   PIN comes after a claim, ``pin_guessing`` at ``pin_wrong`` wrong PINs on a stamp in a day
   or at its lock, and goes into no summary (it is not a scan);
2. write, in ONE DynamoDB transaction: a marker ``SEEN#{code}/{scan_key}`` that must not
   exist yet, the daily counters (summaries), the burst counters, and every alert --
   created if new (condition: absent), else one more occurrence (condition: present).

Only a person's scan is evidence about a stamp: a preview, bot, prefetch or HEAD
(``core.vocabulary.ScanKind``) raises no alert about it and goes into no summary. Their
unknown codes still feed the enumeration counters, since a user agent is the client's word.

The marker makes the whole record idempotent: a stream record delivered twice fails the
marker's condition and changes nothing -- no second alert, no second count. Alerts are
one per (type, subject, window), so a thousand scans of a recalled lot in a day are one
alert with 1,000 occurrences. New alerts are published to SNS after the commit
(at most once: a lost notification still leaves the alert in the queue).

Metric ``AlertsOpened`` (``ocop_stamps.observability``), dimension ``alert_type``: +1 per
alert created, once the transaction holding it commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocop_stamps.core.cache import TtlCache
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import (
    ALERT_TYPE_LABELS,
    LOOKUP,
    PIN,
    REPORT,
    STATUS_ALERTS,
    VN_TZ,
    AlertType,
    PinOutcome,
    ScanFlag,
    Verdict,
    ascii_text,
    is_person_scan,
    pin_verdict,
)
from ocop_stamps.observability import ALERTS_OPENED, count
from ocop_stamps.places.scopes import NO_PLACE, code_of, name_of
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.keys import SHARDS, shard_of
from ocop_stamps.storage.notify import sns_publisher

EN_SCANNED_STAMP = {  # the English subject of a "scanned anyway" alert, with its article
    Verdict.void: "A void stamp",
    Verdict.recalled: "A stamp of a recalled lot",
    Verdict.expired: "An expired stamp",
    Verdict.not_activated: "A stamp never activated",
}

MARKER_DAYS = 8  # longer than the stream's 24 h retention and the retry window


@dataclass(frozen=True)
class Rules:
    """The detector's thresholds; their values and reasons are in ``core.settings``."""

    repeat_24h: int  # distinct scanners within 24 hours
    repeat_7d: int  # distinct scanners within 7 days; a product's own repeat_threshold wins
    travel_minutes: int
    burst_client: int
    burst_place: int
    burst_window_seconds: int
    report_client: int = 3  # reports a client may make in a day before they share one alert
    # wrong scratch-off PINs on one stamp in a day that raise pin_guessing (issue 14): a buyer
    # mistypes once or twice; the lock (codes.pins.MAX_WRONG_TRIES) raises it whatever the day
    pin_wrong: int = 3

    @classmethod
    def from_settings(cls) -> Rules:
        """The thresholds this deployment configured (``OCOP_REPEAT_24H`` ... via settings)."""
        s = get_settings()
        return cls(
            repeat_24h=s.repeat_24h,
            repeat_7d=s.repeat_7d,
            travel_minutes=s.travel_minutes,
            burst_client=s.burst_client,
            burst_place=s.burst_place,
            burst_window_seconds=s.burst_window_seconds,
            report_client=s.report_alert_client,
        )


@dataclass
class Candidate:
    type: str
    subject: str
    window: str
    summary_vi: str
    summary_en: str
    detail: dict[str, Any] = field(default_factory=dict)
    # where its other evidence was scanned (a travel's first place, a repeat's earlier
    # scanners'): their inspectors see the alert too (issue 11, ``storage.keys.audience``)
    places: tuple[str, ...] = ()

    @property
    def alert_id(self) -> str:
        return alert_id(self.type, self.subject, self.window)


def alert_id(kind: str, subject: str, window: str) -> str:
    return "al_" + hashlib.sha256(f"{kind}|{subject}|{window}".encode()).hexdigest()[:20]


def _moment(iso_utc: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))


def vn_day(iso_utc: str) -> str:
    return _moment(iso_utc).astimezone(VN_TZ).date().isoformat()


def _iso(moment: dt.datetime) -> str:
    u = moment.astimezone(dt.UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


def _place(scan: dict[str, Any]) -> str | None:
    return _today(scan.get("province")) or scan.get("country") or None


def _today(place: str | None) -> str | None:
    """A stored place as today's province code ('VN-03' -> '08', issue 12), so a line written
    before the change and one after compare equal; a place abroad ('TH-10') as it is."""
    return (code_of(place) or place) if place else None


_products: TtlCache[dict[str, Any] | None] = TtlCache(60)


def _product(product_id: str) -> dict[str, Any] | None:
    """What the detector needs of a product (cached 60 s): its name and repeat threshold."""

    def load() -> dict[str, Any] | None:
        item = repo.get_product(product_id)
        return None if item is None else {"name": item.name, "repeat_threshold": item.repeat_threshold}

    return _products.get(("product", product_id), load)


def _product_threshold(product_id: str | None, default: int) -> int:
    found = _product(product_id) if product_id else None
    return int(found["repeat_threshold"] or default) if found else default


def _lot_code(lot_id: str) -> str | None:
    """The producer's code of a lot (cached 60 s), the one printed on its labels."""

    def load() -> dict[str, Any] | None:
        item = repo.get_lot(lot_id)
        return None if item is None else {"lot_code": item.lot_code}

    found = _products.get(("lot", lot_id), load)
    return str(found["lot_code"]) if found else None


def named(scan: dict[str, Any]) -> dict[str, Any]:
    """``scan`` with what a person recognises: ``lot_code`` (the producer's code of its lot) and
    ``product_name``, for the alert texts (which never name a lot by its internal id)."""
    out = dict(scan)
    if scan.get("lot_id") and not scan.get("lot_code"):
        out["lot_code"] = _lot_code(str(scan["lot_id"]))
    if scan.get("product_id") and not scan.get("product_name"):
        product = _product(str(scan["product_id"]))
        out["product_name"] = product["name"] if product else None
    return out


def _what(scan: dict[str, Any], lot_word: str, *, batch_word: str | None = None) -> str:
    """The stamp's product, lot and batch as a person names them: 'Cao ngựa bạch Hoan Hoa, lô
    HH-2026-11' ('lot' in English); the batch only with ``batch_word``. A lot whose code could
    not be read is named by its id (the only case an id shows). '' when nothing is known."""
    lot = scan.get("lot_code") or scan.get("lot_id")
    parts = [
        scan.get("product_name"),
        f"{lot_word} {lot}" if lot else None,
        f"{batch_word} {scan['batch_no']}" if batch_word and scan.get("batch_no") is not None else None,
    ]
    return ", ".join(str(p) for p in parts if p)


def _of(scan: dict[str, Any], lot_word: str) -> str:
    """' (Cao ngựa bạch Hoan Hoa, lô HH-2026-11)' after a code; '' when nothing is known."""
    what = _what(scan, lot_word)
    return f" ({what})" if what else ""


# --- rules -------------------------------------------------------------------------------------
def rules_for(
    scan: dict[str, Any], rules: Rules, bursts: dict[str, int], history: Callable[[str, str], list[Any]]
) -> list[Candidate]:
    """The alerts one scan record raises or adds to. ``bursts`` holds the unknown-code
    counts including this scan; ``history(code, since)`` the code's earlier scans."""
    code = scan["code"]
    at = scan["scanned_at"]
    day = vn_day(at)
    verdicts = set(scan.get("verdicts") or [scan.get("verdict")])
    place_name = name_of(scan.get("jurisdiction"))
    out: list[Candidate] = []
    if scan.get("kind") == PIN:  # a scratch-off PIN entry (issue 14): a claim is not a scan
        return _pin_alerts(scan, rules, bursts, day, place_name)
    machine = _machine(scan)
    if machine and Verdict.unknown not in verdicts:
        return out  # a preview, bot, prefetch or HEAD says nothing about the stamp

    if scan.get("kind") == REPORT:
        return [_report_alert(scan, rules, bursts, day, place_name)]

    for verdict, alert_type in STATUS_ALERTS.items():
        if verdict not in verdicts:
            continue
        on_lot = verdict in (Verdict.recalled, Verdict.expired)
        subject = f"lot:{scan.get('lot_id')}" if on_lot else f"batch:{scan.get('batch_no')}"
        # the lot by its code and product, as the label says; the batch too for an alert on it
        vi_subject = _what(scan, "lô", batch_word=None if on_lot else "đợt tem")
        en_subject = _what(scan, "lot", batch_word=None if on_lot else "batch")
        # the stamp's state inside a Vietnamese sentence: "Tem {state} vẫn được quét"
        vi_state = {
            Verdict.void: "đã hủy",
            Verdict.recalled: "thuộc lô bị thu hồi",
            Verdict.expired: "đã hết hạn",
            Verdict.not_activated: "chưa kích hoạt",
        }[verdict]
        out.append(
            Candidate(
                alert_type,
                subject,
                day,
                f"Tem {vi_state} vẫn được quét: mã {code} ({vi_subject}, {place_name}).",
                f"{EN_SCANNED_STAMP[verdict]} was scanned: code {code} ({en_subject}).",
                {"verdict": verdict},
            )
        )

    if ScanFlag.lot_mismatch in (scan.get("flags") or []):  # the label itself is evidence (issue 13)
        label_lot, lot_id, batch_no = scan.get("label_lot"), scan.get("lot_id"), scan.get("batch_no")
        bound = scan.get("lot_code") or lot_id  # the stamp's lot by its code, as a label would print it
        product = f"{scan['product_name']}, " if scan.get("product_name") else ""
        out.append(
            Candidate(
                AlertType.lot_mismatch,
                f"batch:{batch_no}",
                day,
                f"Nhãn ghi lô {label_lot} nhưng tem {'thuộc lô ' + str(bound) if bound else 'chưa gắn với lô nào'}: "
                f"mã {code} ({product}đợt tem {batch_no}, {place_name}).",
                f"A label names lot {label_lot} but the stamp's lot is {bound or 'none'}: "
                f"code {code} ({product}batch {batch_no}).",
                {"label_lot": label_lot, "lot_id": lot_id, "lot_code": scan.get("lot_code")},
            )
        )

    if Verdict.unknown in verdicts:
        client_hash = scan.get("client_hash")
        if client_hash and bursts.get(f"client:{client_hash}", 0) >= rules.burst_client:
            n = bursts[f"client:{client_hash}"]
            out.append(
                Candidate(
                    AlertType.unknown_burst,
                    f"client:{client_hash}",
                    day,
                    f"Dò mã: một máy đã thử {n} mã không tồn tại trong {rules.burst_window_seconds // 60} phút.",
                    f"Enumeration: one client tried {n} codes that do not exist within {rules.burst_window_seconds // 60} minutes.",
                    {"count": n, "client_hash": client_hash},
                )
            )
        place = scan.get("province")
        if place and bursts.get(f"place:{place}", 0) >= rules.burst_place:
            n = bursts[f"place:{place}"]
            out.append(
                Candidate(
                    AlertType.unknown_burst,
                    f"place:{place}",
                    day,
                    f"Dò mã: {n} mã không tồn tại được thử từ {name_of(place)} trong {rules.burst_window_seconds // 60} phút.",
                    f"Enumeration: {n} codes that do not exist were tried from {place} within {rules.burst_window_seconds // 60} minutes.",
                    {"count": n, "place": place},
                )
            )
        return out

    scan_no = int(scan.get("scan_no") or 0)
    if scan.get("batch_no") is None or scan_no < 2:
        return out  # a first scan: nothing to repeat, nowhere to have travelled from
    moment = _moment(at)
    earlier = [s for s in history(code, _iso(moment - dt.timedelta(days=7))) if s.scan_key < scan["scan_key"]]
    earlier = [s for s in earlier if is_person_scan(getattr(s, "kind", None))]  # no reports, previews, bots
    day_ago = _iso(moment - dt.timedelta(hours=24))
    last_day = [s for s in earlier if s.scan_key >= day_ago]
    in_24h = _scanners(scan, last_day)
    in_7d = _scanners(scan, earlier)
    if in_24h >= rules.repeat_24h:
        out.append(
            Candidate(
                AlertType.repeat_24h,
                f"code:{code}",
                day,
                f"Mã {code}{_of(scan, 'lô')} được quét từ {in_24h} máy khác nhau trong 24 giờ "
                f"(ngưỡng {rules.repeat_24h}).",
                f"Code {code}{_of(scan, 'lot')} scanned from {in_24h} different devices within 24 hours "
                f"(threshold {rules.repeat_24h}).",
                {"scanners": in_24h, "threshold": rules.repeat_24h},
                _places_of(last_day),
            )
        )
    threshold_7d = _product_threshold(scan.get("product_id"), rules.repeat_7d)
    if in_7d > threshold_7d:  # past the product's threshold: when its page starts to read repeat
        year, week, _ = moment.astimezone(VN_TZ).isocalendar()
        out.append(
            Candidate(
                AlertType.repeat_7d,
                f"code:{code}",
                f"{year}-W{week:02d}",
                f"Mã {code}{_of(scan, 'lô')} được quét từ {in_7d} máy khác nhau trong 7 ngày (ngưỡng {threshold_7d}).",
                f"Code {code}{_of(scan, 'lot')} scanned from {in_7d} different devices within 7 days "
                f"(threshold {threshold_7d}).",
                {"scanners": in_7d, "threshold": threshold_7d},
                _places_of(earlier),
            )
        )
    here = _place(scan)
    if here and earlier:
        last = earlier[0]
        there = _today(getattr(last, "province", None)) or getattr(last, "country", None)
        minutes = (moment - _moment(last.scanned_at)).total_seconds() / 60
        if there and there != here and minutes < rules.travel_minutes:
            out.append(
                Candidate(
                    AlertType.impossible_travel,
                    f"code:{code}",
                    day,
                    f"Mã {code}{_of(scan, 'lô')} được quét ở {name_of(there)} rồi ở {name_of(here)} "
                    f"chỉ sau {minutes:.0f} phút.",
                    f"Code {code}{_of(scan, 'lot')} scanned in {there} then in {here} only {minutes:.0f} minutes apart.",
                    {"from": there, "to": here, "minutes": int(minutes)},
                    _places_of([last]),
                )
            )
    return out


def _report_alert(scan: dict[str, Any], rules: Rules, bursts: dict[str, int], day: str, place_name: str) -> Candidate:
    """The alert a consumer report adds to: one per issued code a day; but reports on codes
    never issued share one alert per jurisdiction a day, and a client's reports beyond
    ``rules.report_client`` in a day share one alert for that client -- so made-up codes or a
    flood from one client open one alert (and one notification) whose count grows."""
    code = scan["code"]
    where = scan.get("report_where") or ""
    detail = {"where": where, "note": scan.get("report_note"), "code": code}
    client = scan.get("client_hash")
    if scan.get("batch_no") is None:  # a code we never issued: the counterfeiters' place matters
        place = scan.get("jurisdiction") or NO_PLACE
        n = bursts.get(f"report-unissued:{place}", 1)
        return Candidate(
            AlertType.consumer_report,
            f"unissued:{place}",
            day,
            f"Người tiêu dùng báo hàng giả mang mã tem không do hệ thống cấp ({place_name}): {n} báo cáo trong ngày; "
            f"mới nhất: mã {code}, nơi mua: {where}.",
            f"Consumers reported fakes bearing codes never issued ({place}): {n} reports today; "
            f"latest: code {code}, bought at: {where}.",
            {**detail, "count": n},
        )
    n = bursts.get(f"report:{client}", 1) if client else 1
    if client and n > rules.report_client:
        return Candidate(
            AlertType.consumer_report,
            f"client:{client}",
            day,
            f"Một máy đã gửi {n} báo cáo nghi tem giả trong ngày; mới nhất: mã {code}{_of(scan, 'lô')}, "
            f"nơi mua: {where} ({place_name}).",
            f"One client sent {n} reports of suspected fakes today; latest: code {code}{_of(scan, 'lot')}, "
            f"bought at: {where}.",
            {**detail, "count": n, "client_hash": client},
        )
    return Candidate(
        AlertType.consumer_report,
        f"code:{code}",
        day,
        f"Người tiêu dùng báo nghi tem giả: mã {code}{_of(scan, 'lô')}, nơi mua: {where} ({place_name}).",
        f"A consumer reported a suspected fake: code {code}{_of(scan, 'lot')}, bought at: {where}.",
        detail,
    )


def _pin_alerts(
    scan: dict[str, Any], rules: Rules, bursts: dict[str, int], day: str, place_name: str
) -> list[Candidate]:
    """A right PIN entered after the stamp was claimed (``pin_second_claim``: the coating was
    scratched before this buyer had the item), or wrong PINs on one stamp -- ``rules.pin_wrong``
    in a day, or the lock -- (``pin_guessing``). One alert per code a day, each entry one
    more occurrence."""
    code, verdict = scan["code"], scan.get("verdict")
    where = f"đợt tem {scan.get('batch_no')}, {place_name}"
    if verdict == pin_verdict(PinOutcome.already_claimed):
        first = scan.get("reason") or ""
        return [
            Candidate(
                AlertType.pin_second_claim,
                f"code:{code}",
                day,
                f"Mã PIN của tem {code} được nhập đúng sau khi tem đã có người mua xác nhận ({where}); "
                f"lần đầu: {first}.",
                f"The PIN of stamp {code} was entered again after a buyer had claimed it (batch:{scan.get('batch_no')}); "
                f"{first}.",
                {"code": code, "first": first},
            )
        ]
    locked = verdict == pin_verdict(PinOutcome.locked)
    n = bursts.get(f"pin-wrong:{code}", 1)
    if not locked and n < rules.pin_wrong:
        return []
    lock_vi, lock_en = ("; mã PIN đã bị khóa", "; its PIN is now locked") if locked else ("", "")
    return [
        Candidate(
            AlertType.pin_guessing,
            f"code:{code}",
            day,
            f"Dò mã PIN: tem {code} bị nhập sai mã PIN {n} lần trong ngày ({where}){lock_vi}.",
            f"PIN guessing: {n} wrong PINs on stamp {code} today (batch:{scan.get('batch_no')}){lock_en}.",
            {"code": code, "count": n, "locked": locked},
        )
    ]


MAX_PLACES = 8  # other places an alert names at once (bounds the transaction: 100 actions)


def _places_of(scans: list[Any]) -> tuple[str, ...]:
    """The provinces of ``scans`` (newest first), each once, at most ``MAX_PLACES``."""
    found = dict.fromkeys(p for s in scans if (p := _today(getattr(s, "jurisdiction", None))) and p != NO_PLACE)
    return tuple(found)[:MAX_PLACES]


def _machine(scan: dict[str, Any]) -> bool:
    """A preview, bot, prefetch or HEAD (not a person's scan, not a report)."""
    kind = scan.get("kind")
    return kind != REPORT and not is_person_scan(kind)


def _scanners(scan: dict[str, Any], earlier: list[Any]) -> int:
    """Distinct client hashes among this scan and ``earlier`` (lines without one count as one)."""
    return len({scan.get("client_hash") or "-"} | {getattr(s, "client_hash", None) or "-" for s in earlier})


# --- writing one record ------------------------------------------------------------------------
@dataclass
class Outcome:
    processed: bool  # False: this record had been processed before (no change made)
    new_alerts: list[dict[str, Any]] = field(default_factory=list)


def _stats_ops(scan: dict[str, Any], day: str, shard: int) -> list[dict[str, Any]]:
    verdict = scan.get("verdict") or Verdict.unknown
    province = scan.get("jurisdiction") or NO_PLACE
    scopes = ["all", f"province:{province}"]
    if scan.get("producer_id"):
        scopes.append(f"producer:{scan['producer_id']}")
    if scan.get("product_id"):
        scopes.append(f"product:{scan['product_id']}")
    ops = []
    for scope in scopes:
        ops.append(
            {
                "Update": {
                    "TableName": store.table(),
                    "Key": store.to_ddb({"pk": table_keys.stats_key(scope, shard), "sk": day}),
                    "UpdateExpression": "ADD #v :one, #p :one, #t :one SET #s = :scope",
                    "ExpressionAttributeNames": {
                        "#v": f"v:{verdict}",
                        "#p": f"p:{province}",
                        "#t": "total",
                        "#s": "scope",
                    },
                    "ExpressionAttributeValues": store.to_ddb({":one": 1, ":scope": scope}),
                }
            }
        )
    if scan.get("batch_no") is not None:
        # all-time person scans of one batch's stamps, for the producer's console (issue 15)
        ops.append(
            {
                "Update": {
                    "TableName": store.table(),
                    "Key": store.to_ddb(
                        {"pk": table_keys.stats_key(f"batch:{int(scan['batch_no'])}", shard), "sk": "all"}
                    ),
                    "UpdateExpression": "ADD #t :one",
                    "ExpressionAttributeNames": {"#t": "total"},
                    "ExpressionAttributeValues": store.to_ddb({":one": 1}),
                }
            }
        )
    home = table_keys.home_province(scan.get("home_province") or scan.get("producer_province"))
    if home and home != province:
        # a scan of this province's producers elsewhere (issue 11): its verdict by place, so a
        # scope holding that place too counts it once (inspection.summary)
        ops.append(
            {
                "Update": {
                    "TableName": store.table(),
                    "Key": store.to_ddb({"pk": table_keys.stats_key(f"away:{home}", shard), "sk": day}),
                    "UpdateExpression": "ADD #vp :one, #t :one SET #s = :scope",
                    "ExpressionAttributeNames": {"#vp": f"vp:{verdict}|{province}", "#t": "total", "#s": "scope"},
                    "ExpressionAttributeValues": store.to_ddb({":one": 1, ":scope": f"away:{home}"}),
                }
            }
        )
    return ops


def _burst_keys(scan: dict[str, Any], rules: Rules) -> list[tuple[str, str]]:
    """The counters this record adds to: unknown codes per client and place (10-minute
    window), reports per client and reports on codes never issued per jurisdiction (day)."""
    keys = []
    if scan.get("kind") == PIN:  # wrong PINs per stamp a day (issue 14)
        wrong = {pin_verdict(PinOutcome.wrong), pin_verdict(PinOutcome.locked)}
        return (
            [(table_keys.burst_key("pin-wrong", scan["code"]), vn_day(scan["scanned_at"]))]
            if scan.get("verdict") in wrong
            else []
        )
    if scan.get("kind") == REPORT:
        day = vn_day(scan["scanned_at"])
        if scan.get("client_hash"):
            keys.append((table_keys.burst_key("report", scan["client_hash"]), day))
        if scan.get("batch_no") is None:
            keys.append((table_keys.burst_key("report-unissued", scan.get("jurisdiction") or NO_PLACE), day))
        return keys
    if scan.get("verdict") != Verdict.unknown:
        return []
    epoch = int(_moment(scan["scanned_at"]).timestamp())
    window = str(epoch // rules.burst_window_seconds)
    if scan.get("client_hash"):
        keys.append((table_keys.burst_key("client", scan["client_hash"]), window))
    if scan.get("province"):
        keys.append((table_keys.burst_key("place", scan["province"]), window))
    return keys


def audience_of(c: Candidate, scan: dict[str, Any]) -> set[str]:
    """The provinces whose inspectors see the alert ``c`` as of ``scan`` (``storage.keys.audience``)."""
    producer_province = scan.get("home_province") or scan.get("producer_province")
    return set(table_keys.audience([scan.get("jurisdiction"), *c.places], producer_province))


def _entry(alert_id_: str, kind: str, province: str, status: str, queue_sk: str) -> dict[str, Any]:
    """The alert's place in the queue of one more province (issue 11): ``queue_by_province``
    lists it there; the alert itself is read from its own item."""
    return {
        "pk": table_keys.alert_key(alert_id_),
        "sk": table_keys.alert_entry_key(province),
        "kind": "alert_entry",
        "alert_id": alert_id_,
        "type": kind,
        "province": province,
        "queue_province": table_keys.queue_key(status, province),
        "queue_sk": queue_sk,
    }


def _put(item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": store.table(), "Item": store.to_ddb(item)}}


def _alert_item(c: Candidate, scan: dict[str, Any], now: str) -> dict[str, Any]:
    province = scan.get("jurisdiction") or NO_PLACE
    return {
        "pk": table_keys.alert_key(c.alert_id),
        "sk": table_keys.ALERT_SK,
        "kind": "alert",
        "alert_id": c.alert_id,
        "type": c.type,
        "subject": c.subject,
        "window": c.window,
        "status": "open",
        "province": province,  # where the scan that raised it was (its queue_province)
        "provinces": audience_of(c, scan),  # every province whose inspectors see it (issue 11)
        "home_province": table_keys.home_province(scan.get("home_province") or scan.get("producer_province")),
        "code": scan.get("code"),
        "lot_id": scan.get("lot_id"),
        "lot_code": scan.get("lot_code"),  # the producer's code of the lot (what its labels print)
        "product_name": scan.get("product_name"),
        "batch_no": scan.get("batch_no"),
        "product_id": scan.get("product_id"),
        "producer_id": scan.get("producer_id"),
        "raised_at": now,
        "first_seen": scan["scanned_at"],
        "last_seen": scan["scanned_at"],
        "last_scan": f"{scan['code']}/{scan['scan_key']}",
        "occurrences": 1,
        "summary_vi": c.summary_vi,
        "summary_en": c.summary_en,
        "detail": c.detail,
        "history": [{"status": "open", "at": now, "by": "detector", "note": c.summary_vi}],
        "queue_province": table_keys.queue_key("open", province),
        "queue_type": table_keys.queue_key("open", c.type),
        "queue_sk": f"{now}#{c.alert_id}",
    }


def _alert_ops(
    candidates: list[Candidate], existing: dict[str, dict[str, Any]], scan: dict[str, Any], now: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The writes of this scan's alerts: a new alert's item and its queue entries in the other
    provinces that see it; an existing one counted once more, with entries for the provinces
    it now reaches (on the condition that its status is the one read, which their queue key
    holds; ``alerts.change_status`` conditions on the provinces it read)."""
    ops, new = [], []
    seen: set[str] = set()
    for c in candidates:
        if c.alert_id in seen:
            continue
        seen.add(c.alert_id)
        key = store.to_ddb({"pk": table_keys.alert_key(c.alert_id), "sk": table_keys.ALERT_SK})
        if c.alert_id in existing:
            current = existing[c.alert_id]
            known = set(current.get("provinces") or ()) | {current.get("province") or NO_PLACE}
            # an alert from before issue 12 names old codes: 'VN-03' already reaches '08'
            reached = audience_of(c, scan) - {_today(p) for p in known}
            expression = "ADD occurrences :one SET last_seen = :at, last_scan = :ls, detail = :d, summary_vi = :sv, summary_en = :se"
            condition = "attribute_exists(pk)"
            values: dict[str, Any] = {
                ":one": 1,
                ":at": scan["scanned_at"],
                ":ls": f"{scan['code']}/{scan['scan_key']}",
                ":d": c.detail,
                ":sv": c.summary_vi,
                ":se": c.summary_en,
            }
            names: dict[str, str] = {}
            if reached:
                expression = expression.replace("ADD occurrences :one", "ADD occurrences :one, provinces :reached")
                condition += " AND #st = :st"
                # an alert from before issue 11 has no provinces yet: its own province goes in too
                values[":reached"] = reached | known
                values[":st"] = current["status"]
                names["#st"] = "status"
                for province in sorted(reached):
                    ops.append(_put(_entry(c.alert_id, c.type, province, current["status"], current["queue_sk"])))
            update: dict[str, Any] = {
                "TableName": store.table(),
                "Key": key,
                # the latest words: a count in the summary grows with the occurrences
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": store.to_ddb(values),
            }
            if names:
                update["ExpressionAttributeNames"] = names
            ops.append({"Update": update})
        else:
            item = _alert_item(c, scan, now)
            new.append(item)
            ops.append(
                {
                    "Put": {
                        "TableName": store.table(),
                        "Item": store.to_ddb(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
            for province in sorted(item["provinces"] - {item["province"]}):
                ops.append(_put(_entry(c.alert_id, c.type, province, "open", item["queue_sk"])))
    return ops, new


def process_scan(scan: dict[str, Any], rules: Rules | None = None, now: dt.datetime | None = None) -> Outcome:
    """Apply one scan record (a NEW_IMAGE) exactly once; see the module docstring."""
    if scan.get("kind") == LOOKUP:  # a Digital Link lookup that is not a scan: logged, never judged
        return Outcome(processed=True)
    rules = rules or Rules.from_settings()
    # a line written under the old codes (just before the change) counts as today's province
    scan = {**scan, **{k: _today(scan[k]) for k in ("jurisdiction", "province", "home_province") if scan.get(k)}}
    if not _machine(scan):  # alerts name the lot by its code and the product by its name (cached reads)
        scan = named(scan)
    code, scan_key = scan["code"], scan["scan_key"]
    moment = now or dt.datetime.now(dt.UTC)
    now_iso = _iso(moment)
    marker = {
        "Put": {
            "TableName": store.table(),
            "Item": store.to_ddb(
                {
                    "pk": table_keys.seen_key(code),
                    "sk": scan_key,
                    "kind": "seen",
                    "expires_at": int(time.time()) + MARKER_DAYS * 86400,
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    shard = shard_of(code, scan_key)
    day = vn_day(scan["scanned_at"])
    burst_keys = _burst_keys(scan, rules)
    for attempt in range(3):
        found = store.batch_get(burst_keys) if burst_keys else {}
        bursts = {}
        burst_ops = []
        for pk, sk in burst_keys:
            label = pk.removeprefix("BURST#").replace("#", ":", 1)
            bursts[label] = int(found.get((pk, sk), {}).get("hits", 0)) + 1
            burst_ops.append(
                {
                    "Update": {
                        "TableName": store.table(),
                        "Key": store.to_ddb({"pk": pk, "sk": sk}),
                        "UpdateExpression": "ADD hits :one SET expires_at = :exp",
                        "ExpressionAttributeValues": store.to_ddb({":one": 1, ":exp": int(time.time()) + 2 * 86400}),
                    }
                }
            )
        candidates = rules_for(scan, rules, bursts, store.recent_scans_of_code)
        ids = list(dict.fromkeys(c.alert_id for c in candidates))
        existing_items = store.batch_get([(table_keys.alert_key(i), table_keys.ALERT_SK) for i in ids]) if ids else {}
        existing = {item["alert_id"]: item for item in existing_items.values()}
        alert_ops, new = _alert_ops(candidates, existing, scan, now_iso)
        stats = [] if _machine(scan) else _stats_ops(scan, day, shard)  # summaries count people's scans
        ops = [marker, *stats, *burst_ops, *alert_ops]
        try:
            store.transact(ops)
        except store.TransactionCancelled as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                return Outcome(processed=False)  # processed before: nothing to do, nothing raised twice
            if attempt == 2:
                raise
            continue  # an alert appeared (or vanished) meanwhile: re-read and try again
        for alert in new:
            count(ALERTS_OPENED, alert_type=alert["type"])
        return Outcome(True, new)
    raise RuntimeError("unreachable")  # pragma: no cover


# --- notification ------------------------------------------------------------------------------
def alert_link(alert_id_: str) -> str:
    settings = get_settings()
    base = settings.console_base_url or settings.public_base_url
    return f"{base}/alerts/{alert_id_}" if base else f"/alerts/{alert_id_}"


def notification(alert: dict[str, Any]) -> tuple[str, str]:
    """(subject, message): SNS subjects must be ASCII; the message is Vietnamese first."""
    kind = alert["type"]
    vi, en = ALERT_TYPE_LABELS[AlertType(kind)] if kind in ALERT_TYPE_LABELS else (kind, kind)
    subject = f"[OCOP] Canh bao: {ascii_text(vi)} ({alert['province']})"[:99]
    lines = [
        f"Cảnh báo mới: {vi}",
        alert["summary_vi"],
        f"Tỉnh/thành: {name_of(alert['province'])}",
        *(
            [f"Chủ thể ở: {name_of(alert['home_province'])}"]
            if alert.get("home_province") and alert["home_province"] != alert["province"]
            else []
        ),
        f"Thời điểm: {_moment(alert['first_seen']).astimezone(VN_TZ).strftime('%d/%m/%Y %H:%M')}",
        f"Xem và xử lý: {alert_link(alert['alert_id'])}",
        "",
        f"New alert: {en}. {alert['summary_en']}",
    ]
    return subject, "\n".join(lines)


def publish(alerts: list[dict[str, Any]], publisher: Callable[[str, str, dict[str, Any]], None]) -> None:
    for alert in alerts:
        subject, message = notification(alert)
        publisher(subject, message, alert)


def alert_publisher() -> Callable[[str, str, dict[str, Any]], None] | None:
    """The alerts topic's publisher when this deployment has one (``ALERTS_TOPIC_ARN``), else None."""
    topic = get_settings().alerts_topic_arn
    return sns_publisher(topic) if topic else None


def as_json(alert: dict[str, Any]) -> str:
    return json.dumps(store.plain(alert), ensure_ascii=False)


__all__ = ["SHARDS", "Candidate", "Outcome", "Rules", "process_scan", "rules_for"]
