"""EPCIS 2.0 / CBV 2.0 events for every lifecycle step, as JSON-LD (GS1 Digital Link ids).

| step | event |
|---|---|
| batch issued | ObjectEvent ADD, bizStep ``commissioning``, disposition ``active`` |
| stamps bound to a lot | ObjectEvent ADD, bizStep ``packing``, lot master data in ``ilmd`` |
| stamps voided | ObjectEvent DELETE, bizStep ``destroying``, disposition ``destroyed`` |
| lot recalled / recall lifted | ObjectEvent OBSERVE, disposition ``recalled`` / ``active`` |
| OCOP rating recorded, renewed, downgraded, withdrawn | ObjectEvent OBSERVE, bizStep ``inspecting``, ``certificationInfo`` |
| a buyer's first right scratch-off PIN (issue 14) | ObjectEvent OBSERVE of the stamp, bizStep ``retail_selling``, disposition ``retail_sold`` |

Identifiers: a product with a GTIN uses GS1's canonical Digital Link URIs
(``https://id.gs1.org/01/{gtin}/21/{code}`` for a stamp, ``/01/{gtin}/10/{lot}`` for a lot
class); others use this service's own URLs. Ranges of more than ``MAX_EPC_LIST`` stamps
are given as a quantity of their class rather than a list of a million URIs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import quote

from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import encode_many
from ocop_stamps.core.vocabulary import VN_TZ
from ocop_stamps.storage.parameters import code_keys

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
OCOP_NS = "urn:ocop-stamps:epcis:"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"ocop": OCOP_NS, "cbvmda": "urn:epcglobal:cbv:mda:"}]
MAX_EPC_LIST = 100
GS1 = "https://id.gs1.org"


def _time(moment: dt.datetime) -> tuple[str, str]:
    local = moment.astimezone(VN_TZ)
    return local.isoformat(timespec="milliseconds"), "+07:00"


def _base(
    event_type: str,
    action: str,
    moment: dt.datetime,
    *,
    recorded: dt.datetime | None = None,
    extensions: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An EPCIS 2.0 event of ``moment``; ``recorded`` is when it is written (``recordTime``),
    given when it is not the moment itself: a field check entered days after it was made.
    ``fields``: the standard's own fields; ``extensions``: ours (``ocop:`` names), after them."""
    when, offset = _time(moment)
    event = {
        "type": event_type,
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": when,
        "eventTimeZoneOffset": offset,
        "recordTime": _time(recorded)[0] if recorded is not None else when,
        "action": action,
    }
    event.update({k: v for k, v in {**fields, **(extensions or {})}.items() if v is not None})
    return event


def place(base_url: str, producer_id: str) -> dict[str, str]:
    return {"id": f"{base_url}/producers/{quote(producer_id)}"}


def stamp_uri(base_url: str, code: str, gtin: str | None) -> str:
    """The stamp's label URL (``labels.label_url``); for a GTIN product on GS1's canonical
    domain, as EPCIS identifiers are: ``https://id.gs1.org`` + the label's own path."""
    return label_url(GS1 if gtin else base_url, code, gtin)


def product_class(base_url: str, product_id: str, gtin: str | None) -> str:
    return f"{GS1}/01/{gtin}" if gtin else f"{base_url}/products/{quote(product_id)}"


def lot_class(base_url: str, lot_id: str, lot_code: str, gtin: str | None) -> str:
    return f"{GS1}/01/{gtin}/10/{quote(lot_code, safe='')}" if gtin else f"{base_url}/lots/{quote(lot_id)}"


def _objects(
    base_url: str, batch_no: int, key_version: int, first: int, last: int, gtin: str | None, klass: str
) -> dict[str, Any]:
    count = last - first + 1
    if count <= MAX_EPC_LIST:
        codes = encode_many(code_keys(), batch_no, first, count, version=key_version)
        return {"epcList": [stamp_uri(base_url, c, gtin) for c in codes]}
    return {"quantityList": [{"epcClass": klass, "quantity": count}]}


def commissioning(
    *,
    base_url: str,
    batch_no: int,
    size: int,
    key_version: int,
    product_id: str,
    producer_id: str,
    gtin: str | None,
    moment: dt.datetime,
) -> dict[str, Any]:
    klass = product_class(base_url, product_id, gtin)
    return _base(
        "ObjectEvent",
        "ADD",
        moment,
        **_objects(base_url, batch_no, key_version, 1, size, gtin, klass),
        bizStep="commissioning",
        disposition="active",
        readPoint=place(base_url, producer_id),
        bizLocation=place(base_url, producer_id),
        extensions={"ocop:batchId": str(batch_no), "ocop:serialRange": f"1-{size}"},
    )


def packing(
    *,
    base_url: str,
    batch_no: int,
    key_version: int,
    first: int,
    last: int,
    lot: dict[str, Any],
    gtin: str | None,
    moment: dt.datetime,
) -> dict[str, Any]:
    klass = lot_class(base_url, lot["lot_id"], lot["lot_code"], gtin)
    origin = lot.get("origin") or {}
    ilmd: dict[str, Any] = {
        "cbvmda:lotNumber": lot["lot_code"],
        "cbvmda:itemExpirationDate": lot.get("expiry_date"),
        "cbvmda:countryOfOrigin": "VN",
        "ocop:productionDate": lot["production_date"],
        "ocop:quantity": lot.get("quantity"),
        "ocop:unit": lot.get("unit"),
        "ocop:origin": origin,
        "ocop:certifications": lot.get("certifications") or [],
        "ocop:standards": lot.get("standards") or [],
    }
    if ilmd["cbvmda:itemExpirationDate"] is None:  # a group without one (handicrafts, ...): no such field
        del ilmd["cbvmda:itemExpirationDate"]
    return _base(
        "ObjectEvent",
        "ADD",
        moment,
        **_objects(base_url, batch_no, key_version, first, last, gtin, klass),
        bizStep="packing",
        disposition="active",
        readPoint=place(base_url, lot["producer_id"]),
        bizLocation=place(base_url, lot["producer_id"]),
        ilmd=ilmd,
        extensions={"ocop:batchId": str(batch_no), "ocop:serialRange": f"{first}-{last}", "ocop:lotId": lot["lot_id"]},
    )


def destroying(
    *,
    base_url: str,
    batch_no: int,
    key_version: int,
    first: int,
    last: int,
    product_id: str,
    producer_id: str,
    gtin: str | None,
    reason: str,
    note: str | None,
    moment: dt.datetime,
) -> dict[str, Any]:
    klass = product_class(base_url, product_id, gtin)
    return _base(
        "ObjectEvent",
        "DELETE",
        moment,
        **_objects(base_url, batch_no, key_version, first, last, gtin, klass),
        bizStep="destroying",
        disposition="destroyed",
        readPoint=place(base_url, producer_id),
        extensions={
            "ocop:batchId": str(batch_no),
            "ocop:serialRange": f"{first}-{last}",
            "ocop:reason": reason,
            "ocop:note": note,
        },
    )


def retail_sale(
    *,
    base_url: str,
    code: str,
    gtin: str | None,
    batch_no: int,
    serial: int,
    lot_id: str | None,
    province: str | None,
    moment: dt.datetime,
) -> dict[str, Any]:
    """A two-layer stamp claimed by its first buyer (issue 14, docs/PIN.md): CBV 2.0 bizStep
    ``retail_selling`` ("transferring ownership at a point of sale") and disposition
    ``retail_sold`` ("sold to an end consumer"), of the one stamp; the place is the coarse
    province of the claim (no read point: the shop is not known), never an address."""
    return _base(
        "ObjectEvent",
        "OBSERVE",
        moment,
        epcList=[stamp_uri(base_url, code, gtin)],
        bizStep="retail_selling",
        disposition="retail_sold",
        extensions={
            "ocop:batchId": str(batch_no),
            "ocop:serial": str(serial),
            "ocop:lotId": lot_id,
            "ocop:province": province,
        },
    )


def recall_step(
    *,
    base_url: str,
    lot: dict[str, Any],
    gtin: str | None,
    recalled: bool,
    reason: str,
    message: str | None,
    by: str,
    moment: dt.datetime,
) -> dict[str, Any]:
    klass = lot_class(base_url, lot["lot_id"], lot["lot_code"], gtin)
    return _base(
        "ObjectEvent",
        "OBSERVE",
        moment,
        quantityList=[{"epcClass": klass}],
        disposition="recalled" if recalled else "active",
        readPoint=place(base_url, lot["producer_id"]),
        extensions={
            "ocop:lotId": lot["lot_id"],
            "ocop:recallAction": "recall" if recalled else "lift",
            "ocop:reason": reason,
            "ocop:publicMessage": message,
            "ocop:by": by,
        },
    )


def rating_step(
    *,
    base_url: str,
    product_id: str,
    producer_id: str,
    gtin: str | None,
    action: str,
    rating: dict[str, Any],
    by: str,
    moment: dt.datetime,
) -> dict[str, Any]:
    decision = rating.get("decision") or {}
    cert = (rating.get("certificate") or {}).get("number") or "none"
    return _base(
        "ObjectEvent",
        "OBSERVE",
        moment,
        quantityList=[{"epcClass": product_class(base_url, product_id, gtin)}],
        bizStep="inspecting",
        disposition="active" if action != "withdraw" else "non_conformant",
        readPoint=place(base_url, producer_id),
        certificationInfo=f"{base_url}/products/{quote(product_id)}/ocop/{quote(cert, safe='')}",
        extensions={
            "ocop:ratingAction": action,
            "ocop:stars": rating.get("stars"),
            "ocop:certificateNumber": (rating.get("certificate") or {}).get("number"),
            "ocop:decisionNumber": decision.get("number"),
            "ocop:decisionDate": decision.get("date"),
            "ocop:issuingLevel": decision.get("issuing_level"),
            "ocop:issuingBody": decision.get("issuing_body"),
            "ocop:validUntil": rating.get("valid_until"),
            "ocop:reason": rating.get("reason"),
            "ocop:by": by,
        },
    )


def document(events: list[dict[str, Any]], moment: dt.datetime, doc_id: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": doc_id,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(moment)[0],
        "epcisBody": {"eventList": events},
    }
