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
from ocop_stamps.core.errors import BadRequest, Conflict, NotFound
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.provinces import name_of
from ocop_stamps.core.vocabulary import ALERT_TYPE_LABELS, AlertStatus, AlertType
from ocop_stamps.inspection.queries import Scope
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
    out["province_name"] = name_of(item.get("province"))
    return out


ALERTS_ROUTE = "GET /alerts"


def _cursor_in(cursor: str | None, binding: str, parts: list[str]) -> dict[str, Any]:
    """Where each partition stopped, from a cursor this route gave for this query and scope
    (``core.cursors``); ``InvalidCursor`` (400) for any other, before anything is read."""
    if not cursor:
        return {}
    data = cursors.unseal(cursor_keys(), binding, cursor)
    if not isinstance(data, dict) or not set(data) <= set(parts):
        raise cursors.InvalidCursor()
    for v in data.values():
        if v is not None and not (isinstance(v, dict) and all(isinstance(x, str) for x in v.values())):
            raise cursors.InvalidCursor()
    return data


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
    partition, merged; scope and the other filter as a FilterExpression."""
    if status not in tuple(AlertStatus):
        raise BadRequest(
            f"status must be one of {', '.join(AlertStatus)}.", f"status phải là một trong {', '.join(AlertStatus)}."
        )
    if kind is not None and kind not in tuple(AlertType):
        raise BadRequest(
            f"type must be one of {', '.join(AlertType)}.", f"type phải là một trong {', '.join(AlertType)}."
        )
    if province is not None and not scope.allows(province):
        from ocop_stamps.core.errors import Forbidden

        raise Forbidden("That province is outside your scope.", "Tỉnh/thành này nằm ngoài phạm vi được giao cho bạn.")
    filter_expr, names, values = None, {}, {}
    if province is not None or scope.provinces is not None:
        provinces = [province] if province else sorted(scope.provinces or ())
        index, parts = "queue_by_province", [table_keys.queue_key(status, p) for p in provinces]
        if kind:
            filter_expr, names, values = "#ty = :ty", {"#ty": "type"}, {":ty": kind}
    else:
        index, parts = "queue_by_type", [table_keys.queue_key(status, t) for t in ([kind] if kind else AlertType)]
    pk_name = "queue_province" if index == "queue_by_province" else "queue_type"
    binding = f"{ALERTS_ROUTE}|{status}|{kind or ''}|{province or ''}|{scope.fingerprint()}"
    positions = _cursor_in(cursor, binding, parts)
    fetched: dict[str, list[dict[str, Any]]] = {}
    lasts: dict[str, Any] = {}
    for part in parts:
        if part in positions and positions[part] is None:
            continue
        items, last, _ = store.query_partition(
            part,
            index=index,
            pk_name=pk_name,
            sk_name="queue_sk",
            limit=limit,
            start=positions.get(part),
            filter_expression=filter_expr,
            filter_names=names or None,
            filter_values=values or None,
        )
        fetched[part], lasts[part] = items, last
    merged = sorted(
        ((i, p) for p, items in fetched.items() for i in items), key=lambda x: x[0]["queue_sk"], reverse=True
    )[:limit]
    taken: dict[str, int] = {}
    for item, part in merged:
        taken[part] = taken.get(part, 0) + 1
        positions[part] = {"pk": item["pk"], "sk": item["sk"], pk_name: item[pk_name], "queue_sk": item["queue_sk"]}
    for part, items in fetched.items():
        if taken.get(part, 0) == len(items) and lasts[part] is None:
            positions[part] = None
    more = any(positions.get(p, {}) is not None for p in parts)
    next_cursor = cursors.seal(cursor_keys(), binding, positions) if more and merged else None
    return {"items": [view(i) for i, _ in merged], "next_cursor": next_cursor}


def get_alert(alert_id: str, scope: Scope) -> dict[str, Any]:
    item = store.get(table_keys.alert_key(alert_id), table_keys.ALERT_SK)
    if item is None or not scope.allows(item.get("province")):
        raise NotFound("No such alert in your scope.", "Không có cảnh báo này trong phạm vi của bạn.")
    return item


def change_status(alert_id: str, new_status: str, note: str | None, by: str, scope: Scope) -> dict[str, Any]:
    steps = NEXT[AlertStatus.open]  # every status an alert can be moved to
    if new_status not in steps:
        names = ", ".join(s for s in AlertStatus if s in steps)
        raise BadRequest(f"status must be one of {names}.", f"status phải là một trong {names}.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadRequest(f"The note takes at most {NOTE_MAX} characters.", f"Ghi chú tối đa {NOTE_MAX} ký tự.")
    if new_status in (AlertStatus.resolved, AlertStatus.dismissed) and not note:
        raise BadRequest(
            "Say why in a note when resolving or dismissing an alert.",
            "Hãy ghi rõ lý do (note) khi kết thúc hoặc bỏ qua một cảnh báo.",
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
    updated = store.update(
        table_keys.alert_key(alert_id),
        table_keys.ALERT_SK,
        "SET #st = :new, history = list_append(history, :step), queue_province = :qp, queue_type = :qt, "
        "updated_at = :at, updated_by = :by",
        {"#st": "status"},
        {
            ":new": new_status,
            ":old": current,
            ":step": [{k: v for k, v in step.items() if v is not None}],
            ":qp": table_keys.queue_key(new_status, item["province"]),
            ":qt": table_keys.queue_key(new_status, item["type"]),
            ":at": at,
            ":by": by,
        },
        condition="#st = :old",
    )
    if updated is None:
        raise Conflict(
            "Someone changed this alert meanwhile; read it again.",
            "Cảnh báo vừa được người khác cập nhật; hãy tải lại.",
        )
    return updated


def open_counts(scope: Scope) -> dict[str, int]:
    """Open alerts by type: one COUNT query per type (open alerts are few)."""
    counts: dict[str, int] = {}
    for kind in AlertType:
        expr, names, values = None, None, None
        if scope.provinces is not None:
            keys = {f":p{i}": p for i, p in enumerate(sorted(scope.provinces))}
            expr, names, values = f"#pv IN ({', '.join(keys)})", {"#pv": "province"}, keys
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
