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

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from ocop_stamps.codes.scheme import InvalidCode, decode, normalize
from ocop_stamps.core import dates
from ocop_stamps.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable, unavailable
from ocop_stamps.core.ids import utc_now
from ocop_stamps.core.vocabulary import CHECK_DISPOSITIONS, VN_TZ, CheckResult
from ocop_stamps.epcis.events import _base, lot_class, stamp_uri
from ocop_stamps.epcis.history import event_item
from ocop_stamps.inspection.queries import Scope
from ocop_stamps.issuing.idempotency import persistence
from ocop_stamps.issuing.ranges import lot_of_serial
from ocop_stamps.observability import logger
from ocop_stamps.places import addresses
from ocop_stamps.places.scopes import code_of, name_of
from ocop_stamps.storage import inspection as store
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.parameters import code_keys

MAX_CODES = 100
NOT_ISSUED = "no stamp was issued with this code"
NOT_ACTIVATED = "not activated: bound to no lot"
OTHER_LOT = "bound to another lot"


class CheckInProgress(Conflict):
    """The same form's first send is still being recorded (``record_once``)."""

    code = "check_in_progress"


class StampsNotInLot(Conflict):
    """A field check names stamps that are not bound to the lot checked."""

    code = "stamps_not_in_lot"


def _require_in_lot(codes: list[str], lot_id: str) -> None:
    """Every stamp named must be bound to ``lot_id``; else ``StampsNotInLot`` listing those that are not.

    A check is kept in the lot's history: a stamp of another lot (another producer's, maybe)
    would be recorded as evidence about this one.
    """
    keys = code_keys()
    batches: dict[int, Any] = {}
    outside: list[dict[str, str]] = []
    for code in dict.fromkeys(codes):
        stamp = decode(keys, code)
        if stamp.batch not in batches:
            batches[stamp.batch] = repo.get_batch(stamp.batch)
        batch = batches[stamp.batch]
        if batch is None or stamp.serial > int(batch.size):
            problem = NOT_ISSUED
        else:
            bound = lot_of_serial(batch, stamp.serial)
            problem = NOT_ACTIVATED if bound is None else OTHER_LOT if bound != lot_id else ""
        if problem:
            outside.append({"field": "codes", "code": code, "problem": problem})
    if not outside:
        return
    listed = ", ".join(d["code"] for d in outside[:10]) + (" …" if len(outside) > 10 else "")
    raise StampsNotInLot(
        f"These stamps are not stamps of lot {lot_id}: {listed}. "
        "Record them in a check of the lot they belong to, or describe them in the note.",
        f"Các tem sau không thuộc lô {lot_id}: {listed}. "
        "Hãy ghi nhận chúng trong lần kiểm tra của lô mà chúng thuộc về, hoặc mô tả trong phần ghi chú.",
        details=outside,
    )


def _address(body: dict[str, Any], checked_on: dt.date, province: str) -> dict[str, Any]:
    """Where the check was, as stored: like every other address (``places.addresses.record``),
    by the check's own date. Before 1 July 2025: as entered (a district too), with today's
    province and commune in ``current``. From then: today's province (the scope's code and
    official name) and, when given, a commune checked against the official list; a district is
    refused (400). ``province`` is today's GSO code of ``body["province"]``."""
    entered = {k: body[k] for k in ("commune", "district", "province") if body.get(k)}
    if checked_on < addresses.CUTOVER:
        return addresses.record(entered, checked_on, "")
    if not entered.get("commune") and not entered.get("district"):
        return {"province": name_of(province), "province_code": province}
    return addresses.record({**entered, "province": name_of(province)}, checked_on, "")


def record_check(body: dict[str, Any], by: str, scope: Scope, base_url: str) -> dict[str, Any]:
    lot = repo.get_lot(body["lot_id"])
    if lot is None:
        raise NotFound("No such lot.", "Không có lô này.")
    province = code_of(body["province"])  # today's GSO code; an old name or VN-xx code maps to it
    if province is None:
        raise BadRequest(
            "province is not a province of Vietnam.",
            "Tỉnh, thành phố (`province`) không phải là tỉnh, thành phố của Việt Nam.",
        )
    if not scope.allows(province):
        # the check's place, or the lot's producer's province (issue 11: the rule of who sees
        # a scan, storage.keys.audience): an inspector follows its producers' goods anywhere
        producer = repo.get_producer(lot.producer_id)
        home = (producer.address.as_dict().get("province") if producer is not None else None) or None
        if not scope.sees([province], home):
            raise Forbidden(
                "That province is outside your scope, and so is the lot's producer.",
                "Tỉnh/thành này nằm ngoài phạm vi được giao cho bạn, chủ thể của lô cũng vậy.",
            )
    if body["result"] not in CHECK_DISPOSITIONS:
        names = ", ".join(CheckResult)
        raise BadRequest(
            f"result must be one of {names}.",
            "Kết quả kiểm tra (`result`) phải là một trong " + ", ".join(f"`{n}`" for n in names.split(", ")) + ".",
        )
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
    _require_in_lot(codes, lot.lot_id)
    product = repo.get_product(lot.product_id)
    gtin = product.gtin if product is not None else None
    checked_on = dt.date.fromisoformat(body["date"])
    made_on = dates.day_of(lot.production_date)
    if made_on is not None and checked_on < made_on:
        raise BadRequest(
            f"date: a check cannot be dated before the lot was made ({made_on.isoformat()}).",
            f"Ngày kiểm tra (`date`) không được trước ngày sản xuất của lô ({dates.show(made_on)}).",
            details=[{"field": "date", "problem": "before the lot's production date"}],
        )
    address = _address(body, checked_on, province)
    now = utc_now()
    moment = dt.datetime.combine(checked_on, dt.time(12), VN_TZ) if checked_on != now.astimezone(VN_TZ).date() else now
    objects: dict[str, Any] = (
        {"epcList": [stamp_uri(base_url, c, gtin) for c in codes]}
        if codes
        else {"quantityList": [{"epcClass": lot_class(base_url, lot.lot_id, lot.lot_code, gtin)}]}
    )
    event = _base(
        "ObjectEvent",
        "OBSERVE",
        moment,
        recorded=now,  # a check is often entered after the day it was made
        **objects,
        bizStep="inspecting",
        disposition=CHECK_DISPOSITIONS[CheckResult(body["result"])],
        readPoint={"id": f"{base_url}/places/{quote(province)}"},
        **{
            "ocop:fieldCheck": True,
            "ocop:lotId": lot.lot_id,
            "ocop:place": body["place"],
            # as entered for a check dated before 1 July 2025 (its address keeps today's units in
            # ``current``); today's GSO code from that day on
            "ocop:province": province if "current" not in address else body["province"],
            "ocop:provinceName": name_of(province) if "current" not in address else address["current"]["province"],
            "ocop:address": address,
            "ocop:checkedOn": checked_on.isoformat(),
            "ocop:result": body["result"],
            "ocop:note": body.get("note") or None,
            "ocop:stampsChecked": len(codes) or None,
            "ocop:by": by,
        },
    )
    store.append_event(event_item(table_keys.lot_key(lot.lot_id), event))
    return {"lot_id": lot.lot_id, "event_id": event["eventID"], "event": event}


_ONCE = IdempotencyConfig(
    event_key_jmespath="[by, key]", payload_validation_jmespath="body", expires_after_seconds=24 * 3600
)


def record_once(key: str, body: dict[str, Any], by: str, scope: Scope, base_url: str) -> dict[str, Any]:
    """``record_check`` at most once per (inspector, ``key``): a form sent twice (a double tap, a
    reload) records one check and answers both sends with it, as a batch's ``Idempotency-Key``
    does (the idempotency table, 24 hours). ``key``: 8 to 128 visible ASCII characters, made
    by the form. The same key with another body: 422; the first send still being recorded:
    409 with Retry-After; the table failing before the check is recorded: 503."""
    if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable() or " " in key:
        raise BadRequest("The form's key must be 8 to 128 visible ASCII characters.", "Khóa của biểu mẫu không hợp lệ.")
    made: list[dict[str, Any]] = []

    @idempotent_function(data_keyword_argument="request", config=_ONCE, persistence_store=persistence())
    def _record(request: dict[str, Any]) -> dict[str, Any]:
        made.append(record_check(request["body"], by, scope, base_url))
        return made[-1]

    try:
        return _record(request={"by": by, "key": key, "body": body})
    except IdempotencyPersistenceLayerError as exc:
        if made:  # recorded; only the record of this key's answer could not be saved
            logger.error("field check recorded but its idempotency record not completed")
            return made[-1]
        raise unavailable() from exc
    except IdempotencyValidationError:
        raise Unprocessable(
            "This form was already sent with other values; open a new form.",
            "Biểu mẫu này đã được gửi với nội dung khác; hãy mở biểu mẫu mới.",
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise CheckInProgress(
            "The same check is still being recorded; wait a few seconds.",
            "Lần kiểm tra này đang được ghi nhận; vui lòng chờ vài giây.",
        ) from None
