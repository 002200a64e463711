"""Field checks (kiểm tra thực địa): an inspector's visit, kept in the lot's EPCIS history.

A check is an EPCIS 2.0 ObjectEvent OBSERVE with bizStep ``inspecting`` stored as an
``EVENT#`` item next to the lot (``history.event_item``), so ``GET /lots/{lot_id}/epcis``
shows it with the lot's other steps. The stamps checked are listed (GS1 Digital Link
URIs for GTIN products) or, when none are named, the lot's class; the result maps to a
CBV disposition (``conformant`` / ``non_conformant``; ``suspect`` keeps the disposition
out and says so in ``ocop:result``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from ocop_stamps.codes.scheme import InvalidCode, decode, normalize
from ocop_stamps.core.errors import BadRequest, Forbidden, NotFound
from ocop_stamps.core.ids import utc_now
from ocop_stamps.core.provinces import name_of, to_code
from ocop_stamps.core.vocabulary import CHECK_DISPOSITIONS, VN_TZ, CheckResult
from ocop_stamps.epcis.events import _base, lot_class, stamp_uri
from ocop_stamps.epcis.history import event_item
from ocop_stamps.inspection.queries import Scope
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.parameters import code_keys

MAX_CODES = 100


def record_check(body: dict[str, Any], by: str, scope: Scope, base_url: str) -> dict[str, Any]:
    lot = repo.get_lot(body["lot_id"])
    if lot is None:
        raise NotFound("No such lot.", "Không có lô này.")
    province = to_code(body["province"])
    if province is None:
        raise BadRequest("province is not a province of Vietnam.", "province không phải là tỉnh/thành của Việt Nam.")
    if not scope.allows(province):
        raise Forbidden("That province is outside your scope.", "Tỉnh/thành này nằm ngoài phạm vi được giao cho bạn.")
    if body["result"] not in CHECK_DISPOSITIONS:
        names = ", ".join(CheckResult)
        raise BadRequest(f"result must be one of {names}.", f"result phải là một trong {names}.")
    codes = []
    for raw in body.get("codes") or []:
        code = normalize(raw)
        try:
            decode(code_keys(), code)
        except InvalidCode:
            raise BadRequest(f"'{raw[:32]}' is not a stamp code.", f"'{raw[:32]}' không phải là mã tem.") from None
        codes.append(code)
    if len(codes) > MAX_CODES:
        raise BadRequest(f"At most {MAX_CODES} codes per check.", f"Tối đa {MAX_CODES} mã mỗi lần kiểm tra.")
    product = repo.get_product(lot.product_id)
    gtin = product.gtin if product is not None else None
    checked_on = dt.date.fromisoformat(body["date"])
    moment = (
        dt.datetime.combine(checked_on, dt.time(12), VN_TZ)
        if checked_on != utc_now().astimezone(VN_TZ).date()
        else utc_now()
    )
    objects: dict[str, Any] = (
        {"epcList": [stamp_uri(base_url, c, gtin) for c in codes]}
        if codes
        else {"quantityList": [{"epcClass": lot_class(base_url, lot.lot_id, lot.lot_code, gtin)}]}
    )
    event = _base(
        "ObjectEvent",
        "OBSERVE",
        moment,
        **objects,
        bizStep="inspecting",
        disposition=CHECK_DISPOSITIONS[CheckResult(body["result"])],
        readPoint={"id": f"{base_url}/places/{quote(province)}"},
        **{
            "ocop:fieldCheck": True,
            "ocop:lotId": lot.lot_id,
            "ocop:place": body["place"],
            "ocop:province": province,
            "ocop:provinceName": name_of(province),
            "ocop:checkedOn": checked_on.isoformat(),
            "ocop:result": body["result"],
            "ocop:note": body.get("note") or None,
            "ocop:stampsChecked": len(codes) or None,
            "ocop:by": by,
        },
    )
    store.append_event(event_item(table_keys.lot_key(lot.lot_id), event))
    return {"lot_id": lot.lot_id, "event_id": event["eventID"], "event": event}
