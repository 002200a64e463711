"""The alert queue: list by status, type and province (newest first), read one, move it on.

Workflow: ``open`` -> ``acknowledged`` -> ``resolved`` | ``dismissed`` (an open alert may
also be resolved or dismissed at once). Each step appends ``{status, at, by, note}`` to the
alert's history; the step is a conditional update on the status it was read in, so two
inspectors acting at once cannot both move it. Resolved and dismissed are final: a new
occurrence in the same window is still counted on the alert, a new window raises a new one.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.core import cursors
from ocop_stamps.core.errors import BadRequest, Conflict, Forbidden, NotFound
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.vocabulary import ALERT_TYPE_LABELS, AlertStatus, AlertType
from ocop_stamps.inspection.queries import Scope
from ocop_stamps.places.scopes import code_of, name_of, spellings_of
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage.parameters import cursor_keys

NEXT: dict[str, set[AlertStatus]] = {
    AlertStatus.open: {AlertStatus.acknowledged, AlertStatus.resolved, AlertStatus.dismissed},
    AlertStatus.acknowledged: {AlertStatus.resolved, AlertStatus.dismissed},
}
NOTE_MAX = 1000


def view(item: dict[str, Any]) -> dict[str, Any]:
    hidden = {"pk", "sk", "kind", "queue_province", "queue_type", "queue_sk"}
    out = {k: store.plain(v) for k, v in item.items() if k not in hidden}
    kind = item.get("type", "")
    out["type_vi"] = ALERT_TYPE_LABELS[AlertType(kind)][0] if kind in ALERT_TYPE_LABELS else kind
    if item.get("province"):  # today's code (an alert raised before issue 12 holds an old VN-xx code)
        out["province"] = code_of(item["province"]) or item["province"]
    out["province_name"] = name_of(item.get("province"))
    if item.get("home_province"):
        out["home_province"] = code_of(item["home_province"]) or item["home_province"]
    out["provinces"] = sorted(audience_of(item))
    return out


def audience_of(item: dict[str, Any]) -> tuple[str, ...]:
    """The provinces whose inspectors see an alert item (``storage.keys.audience``): where its
    scans were and its producer's province; an alert from before issue 11, its province."""
    return table_keys.audience([item.get("province"), *(item.get("provinces") or ())], item.get("home_province"))


def _entries(item: dict[str, Any]) -> list[str]:
    """The provinces in whose queue the alert has an entry item (all but its own ``province``)."""
    return sorted(set(item.get("provinces") or ()) - {item.get("province")})


ALERTS_ROUTE = "GET /alerts"


def _cursor_in(cursor: str | None, binding: str, parts: list[str]) -> tuple[str | None, set[int]]:
    """(watermark, partitions done) from a cursor this route gave for this query and scope
    (``core.cursors``); ``InvalidCursor`` (400) for any other, before anything is read."""
    if not cursor:
        return None, set()
    data = cursors.unseal(cursor_keys(), binding, cursor)
    if not isinstance(data, dict) or set(data) != {"w", "done"}:
        raise cursors.InvalidCursor()
    below, done = data["w"], data["done"]
    if not isinstance(below, str) or not isinstance(done, list):
        raise cursors.InvalidCursor()
    if not all(isinstance(i, int) and 0 <= i < len(parts) for i in done):
        raise cursors.InvalidCursor()
    return below, set(done)


def list_alerts(
    scope: Scope,
    *,
    status: str = AlertStatus.open,
    kind: str | None = None,
    province: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of alerts newest first: one Query per (status, province) or (status, type)
    partition, merged; the type filter (in a province's queue) as a FilterExpression.

    A province's queue holds the alerts raised there and the entries of alerts that reach it
    (``_entries``), so an alert seen by two of the caller's provinces is in both: the merge
    takes each ``queue_sk`` (``{raised_at}#{alert_id}``) once, and the cursor is a watermark
    -- the last ``queue_sk`` handed out -- below which every partition reads on, so no alert
    is skipped or repeated across pages. Entries are read back as their alerts (BatchGetItem)."""
    if status not in tuple(AlertStatus):
        raise BadRequest(
            f"status must be one of {', '.join(AlertStatus)}.",
            "Trạng thái (`status`) phải là một trong " + ", ".join(f"`{s}`" for s in AlertStatus) + ".",
        )
    if kind is not None and kind not in tuple(AlertType):
        raise BadRequest(
            f"type must be one of {', '.join(AlertType)}.",
            "Loại cảnh báo (`type`) phải là một trong " + ", ".join(f"`{t}`" for t in AlertType) + ".",
        )
    if province is not None and not scope.allows(province):
        raise Forbidden("That province is outside your scope.", "Tỉnh/thành này nằm ngoài phạm vi được giao cho bạn.")
    filter_expr, names, values = None, {}, {}
    if province is not None or scope.provinces is not None:
        provinces = [province] if province else sorted(scope.provinces or ())
        # each province's queue under its code and its old parts' (alerts raised before issue 12)
        index, parts = "queue_by_province", [table_keys.queue_key(status, p) for p in spellings_of(provinces)]
        if kind:
            filter_expr, names, values = "#ty = :ty", {"#ty": "type"}, {":ty": kind}
    else:
        index, parts = "queue_by_type", [table_keys.queue_key(status, t) for t in ([kind] if kind else AlertType)]
    pk_name = "queue_province" if index == "queue_by_province" else "queue_type"
    binding = f"{ALERTS_ROUTE}|{status}|{kind or ''}|{province or ''}|{scope.fingerprint()}"
    below, done = _cursor_in(cursor, binding, parts)
    found: dict[str, dict[str, Any]] = {}  # queue_sk -> item (an alert, or an entry)
    lowest: dict[int, str] = {}  # partition -> the lowest queue_sk it has read
    read_to: list[str] = []  # where each partition that has more stopped reading
    exhausted: set[int] = set()
    for i, part in enumerate(parts):
        if i in done:
            continue
        items, last, _ = store.query_partition(
            part,
            index=index,
            pk_name=pk_name,
            sk_name="queue_sk",
            sk_below=below,
            limit=limit,
            filter_expression=filter_expr,
            filter_names=names or None,
            filter_values=values or None,
        )
        for item in items:  # the alert's own item rather than an entry, when both are read
            if item.get("sk") == table_keys.ALERT_SK or item["queue_sk"] not in found:
                found[item["queue_sk"]] = item
        if items:
            lowest[i] = min(item["queue_sk"] for item in items)
        if last is None:
            exhausted.add(i)
        else:
            read_to.append(last["queue_sk"])
    # only what every partition has read past is safe to hand out, newest first
    floor = max(read_to) if read_to else None
    ready = sorted((k for k in found if floor is None or k >= floor), reverse=True)
    page = ready[:limit]
    watermark = page[-1] if len(ready) > limit else floor
    # a partition read to its end is done once all it gave is handed out
    done |= {i for i in exhausted if watermark is None or i not in lowest or lowest[i] >= watermark}
    more = len(done) < len(parts)
    next_cursor = (
        cursors.seal(cursor_keys(), binding, {"w": watermark, "done": sorted(done)})
        if more and watermark is not None
        else None
    )
    return {"items": [view(i) for i in _alerts_of([found[k] for k in page], status)], "next_cursor": next_cursor}


def _alerts_of(items: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """The alerts of listed items, in order: an entry read back as its alert (BatchGetItem, 100
    keys a call); one whose status has moved on since its entry was read is left out."""
    wanted = [(i["pk"], table_keys.ALERT_SK) for i in items if i.get("sk") != table_keys.ALERT_SK]
    alerts: dict[tuple[str, str], dict[str, Any]] = {}
    for n in range(0, len(wanted), 100):
        alerts.update(store.batch_get(wanted[n : n + 100]))
    out = []
    for item in items:
        alert = item if item.get("sk") == table_keys.ALERT_SK else alerts.get((item["pk"], table_keys.ALERT_SK))
        if alert is not None and alert.get("status") == status:
            out.append(alert)
    return out


def get_alert(alert_id: str, scope: Scope) -> dict[str, Any]:
    """The alert, if the caller's provinces see it (``audience_of``); else 404, as for no alert."""
    item = store.get(table_keys.alert_key(alert_id), table_keys.ALERT_SK)
    if item is None or not scope.sees(audience_of(item), None):
        raise NotFound("No such alert in your scope.", "Không có cảnh báo này trong phạm vi của bạn.")
    return item


def change_status(alert_id: str, new_status: str, note: str | None, by: str, scope: Scope) -> dict[str, Any]:
    steps = NEXT[AlertStatus.open]  # every status an alert can be moved to
    if new_status not in steps:
        names = ", ".join(s for s in AlertStatus if s in steps)
        raise BadRequest(
            f"status must be one of {names}.",
            "Trạng thái (`status`) phải là một trong " + ", ".join(f"`{s}`" for s in AlertStatus if s in steps) + ".",
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadRequest(f"The note takes at most {NOTE_MAX} characters.", f"Ghi chú tối đa {NOTE_MAX} ký tự.")
    if new_status in (AlertStatus.resolved, AlertStatus.dismissed) and not note:
        raise BadRequest(
            "Say why in a note when resolving or dismissing an alert.",
            "Hãy ghi rõ lý do (`note`) khi kết thúc hoặc bỏ qua một cảnh báo.",
        )
    item = get_alert(alert_id, scope)
    current = item["status"]
    if new_status not in NEXT.get(current, set()):
        raise Conflict(
            f"The alert is {current}; it cannot become {new_status}.",
            f"Cảnh báo đang ở trạng thái {current}; không thể chuyển sang {new_status}.",
        )
    at = iso(utc_now())
    step = {"status": new_status, "at": at, "by": by, "note": note or None}
    entries = _entries(item)
    update: dict[str, Any] = {
        "TableName": store.table(),
        "Key": store.to_ddb({"pk": table_keys.alert_key(alert_id), "sk": table_keys.ALERT_SK}),
        "UpdateExpression": "SET #st = :new, history = list_append(history, :step), queue_province = :qp, "
        "queue_type = :qt, updated_at = :at, updated_by = :by",
        # the provinces read are those whose entries move with it (the detector only adds)
        "ConditionExpression": "#st = :old AND "
        + ("size(provinces) = :n" if item.get("provinces") else "attribute_not_exists(provinces)"),
        "ExpressionAttributeNames": {"#st": "status"},
        "ExpressionAttributeValues": store.to_ddb(
            {
                ":new": new_status,
                ":old": current,
                ":step": [{k: v for k, v in step.items() if v is not None}],
                ":qp": table_keys.queue_key(new_status, item["province"]),
                ":qt": table_keys.queue_key(new_status, item["type"]),
                ":at": at,
                ":by": by,
                **({":n": len(item["provinces"])} if item.get("provinces") else {}),
            }
        ),
    }
    moves = [
        {
            "Update": {
                "TableName": store.table(),
                "Key": store.to_ddb({"pk": table_keys.alert_key(alert_id), "sk": table_keys.alert_entry_key(p)}),
                "UpdateExpression": "SET queue_province = :qp",
                "ExpressionAttributeValues": store.to_ddb({":qp": table_keys.queue_key(new_status, p)}),
            }
        }
        for p in entries
    ]
    try:
        store.transact([{"Update": update}, *moves])
    except store.TransactionCancelled:
        raise Conflict(
            "Someone changed this alert meanwhile; read it again.",
            "Cảnh báo vừa được người khác cập nhật; hãy tải lại.",
        ) from None
    return get_alert(alert_id, scope)


def open_counts(scope: Scope) -> dict[str, int]:
    """Open alerts by type: one COUNT query per type (open alerts are few)."""
    counts: dict[str, int] = {}
    for kind in AlertType:
        expr, names, values = None, None, None
        if scope.provinces is not None:  # seen by one of them (keys.audience): raised there or reaching it
            keys = {f":p{i}": p for i, p in enumerate(spellings_of(sorted(scope.provinces)))}
            reaches = " OR ".join(f"contains(#pvs, {k})" for k in keys)
            expr, names, values = (
                f"#pv IN ({', '.join(keys)}) OR {reaches}",
                {"#pv": "province", "#pvs": "provinces"},
                keys,
            )
        total, start = 0, None
        while True:
            _, last, n = store.query_partition(
                table_keys.queue_key("open", kind),
                index="queue_by_type",
                pk_name="queue_type",
                sk_name="queue_sk",
                limit=1000,
                start=start,
                filter_expression=expr,
                filter_names=names,
                filter_values=values,
                count_only=True,
            )
            total += n
            if last is None:
                break
            start = last
        if total:
            counts[kind] = total
    return counts
