"""Demo data, loaded through the real API: the same routes, tokens, validation and handlers
a user's requests go through, so a demo that loads is a smoke test of the stack.

For every producer of ``ocop-demo.json``: ``POST /producers`` and ``POST /products`` as
admin (OCOP rating with a clearly-demo certificate number), then as that producer one lot
(``POST /lots``), one batch of stamps (``POST /batches`` with an Idempotency-Key) and an
activation of part of it (``POST /batches/{id}/activations``). The first producer also
gets a GTIN (GS1 Vietnam, prefix 893) and a lot that is already past its expiry date, so
every verdict a consumer can meet is one click away, and a lot made in May 2025 whose origin
is recorded under the commune and district of then (``address_before_2025``): its page shows
that address as entered and the commune it is in today (docs/ADMINISTRATIVE-UNITS.md).
Every other address is a current one: province and commune, no district. Stamp codes come from the batch's
CSV (``GET /batches/{id}/codes.csv``), as a print shop would get them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from ocop_stamps.core.vocabulary import EXPIRY_REQUIRED, OcopGroup
from ocop_stamps.places.addresses import CUTOVER
from ocop_stamps.places.provinces import current_name

from . import tokens

log = logging.getLogger("ocop_local.demo")

DEMO_FILE = Path(__file__).with_name("ocop-demo.json")
SUMMARY_FILE = "demo-summary.json"
DEMO_PRODUCER = "hoan-hoa"  # the producer whose token goes into dev-tokens.json
DEMO_GTIN = "8939999000017"  # GS1 Vietnam prefix 893, check digit 7 (mod 10); demo only
DECISION_DATE = "2025-09-15"  # after Decision 1489/QĐ-TTg: the province recognises 3-4 stars
# Main product's batch: 1-100 current lot (serial 2 voided), 101-120 expired lot, 121-130 recalled lot, 141-150 a lot
# made before 1 July 2025, the rest never activated.
MAIN_BATCH_SIZE = 300
MAIN_CURRENT = (1, 100)
MAIN_EXPIRED = (101, 120)
MAIN_RECALLED = (121, 130)  # bound to a lot that the demo then recalls
MAIN_BEFORE_2025 = (141, 150)  # a lot made before 1 July 2025: its origin under the units of then
BEFORE_2025 = (dt.date(2025, 5, 20), dt.date(2027, 5, 20))  # its production and expiry dates
MAIN_VOID = 2  # a stamp of the current lot, voided as damaged
OTHER_BATCH_SIZE = 100
OTHER_CURRENT = (1, 60)
_UNITS = {
    OcopGroup.herbal: "hộp",
    OcopGroup.food: "gói",
    OcopGroup.beverage: "chai",
    OcopGroup.handicraft: "chiếc",
}
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class DemoError(RuntimeError):
    """A demo request was refused: the API and the demo data disagree."""


@dataclass
class DemoSummary:
    producer_id: str  # whose token is in dev-tokens.json
    # genuine / not_activated / expired / recalled / void / before_2025 / mistyped -> URL
    stamps: dict[str, str] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)  # batch id -> producer id
    products: dict[str, str] = field(default_factory=dict)  # product id -> producer id
    producers: list[str] = field(default_factory=list)
    reused: bool = False  # True: every producer existed already and a saved summary was used

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- demo data -----------------------------------------------------------------------------
def demo_data(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    with open(path or DEMO_FILE, encoding="utf-8") as stream:
        data: dict[str, Any] = json.load(stream)
    return data


def demo_provinces(data: dict[str, Any] | None = None) -> list[str]:
    """Every province of the demo producers, in order of first appearance."""
    data = data or demo_data()
    return list(dict.fromkeys(p["address"]["province"] for p in data["producers"]))


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()


def _initials(key: str) -> str:
    return "".join(part[0] for part in key.split("-") if part).upper()[:6]


def producer_body(producer: dict[str, Any]) -> dict[str, Any]:
    body = {
        "producer_id": producer["key"],
        "name": producer["name"],
        "kind": producer["kind"],
        "address": producer["address"],
        "demo": True,
    }
    if producer.get("owner"):
        body["owner"] = producer["owner"]
    return body


def _province_committee(province: str) -> str:
    """The People's Committee of ``province`` as today's list names it: "Ủy ban nhân dân tỉnh
    Thái Nguyên", "Ủy ban nhân dân thành phố Huế"."""
    name = current_name(province) or f"Tỉnh {province}"
    return f"Ủy ban nhân dân {name[0].lower()}{name[1:]}"


def product_body(producer: dict[str, Any], product: dict[str, Any], number: int, *, gtin: str | None) -> dict[str, Any]:
    province = producer["address"]["province"]
    body: dict[str, Any] = {
        "producer_id": producer["key"],
        "name": product["name"],
        "group": product["group"],
        "description": "Dữ liệu minh họa cho máy chủ cục bộ, không phải thông tin thật.",
        "ocop": {
            "stars": product["ocop_stars"],
            "decision": {
                "number": f"DEMO-{number:03d}/QĐ-UBND",
                "date": DECISION_DATE,
                "issuing_level": "province" if product["ocop_stars"] < 5 else "central",
                "issuing_body": _province_committee(province) if product["ocop_stars"] < 5 else None,
            },
            "certificate": {"number": f"DEMO-GCN-{number:03d}/2025"},
        },
        "demo": True,
    }
    if gtin:
        body["gtin"] = gtin
    for key in ("brand", "made_in", "standards", "image_url"):  # the look-up's optional fields, when the data has them
        if product.get(key):
            body[key] = product[key]
    return body


def lot_body(
    producer: dict[str, Any],
    product: dict[str, Any],
    product_id: str,
    *,
    production: dt.date,
    expiry: dt.date,
) -> dict[str, Any]:
    """A lot of ``product``; no expiry date for a group that has none (handicrafts, ...)."""
    address = producer["address"]
    if production < CUTOVER and producer.get("address_before_2025"):
        address = producer["address_before_2025"]  # what the documents of then say
    place = address.get("commune") or address.get("district") or address["province"]
    origin = {
        "area_name": f"Vùng nguyên liệu {place} (demo)",
        "province": address["province"],
        "harvest_date": (production - dt.timedelta(days=7)).isoformat(),
    }
    for part in ("commune", "district"):
        if address.get(part):
            origin[part] = address[part]
    return {
        "product_id": product_id,
        "lot_code": f"{_initials(producer['key'])}-{production:%y%m%d}",
        "production_date": production.isoformat(),
        **({"expiry_date": expiry.isoformat()} if OcopGroup(product["group"]) in EXPIRY_REQUIRED else {}),
        "quantity": 500,
        "unit": _UNITS.get(product["group"], "sản phẩm"),
        "origin": origin,
    }


def mistype(code: str) -> str:
    """The code with one character changed, as a consumer might mistype it."""
    i = 5
    replacement = "7" if code[i] != "7" else "8"
    return code[:i] + replacement + code[i + 1 :]


# --- talking to the API --------------------------------------------------------------------
class _Api:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.client = Client(app)

    def call(
        self,
        method: str,
        path: str,
        token: str,
        body: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
        tolerate: tuple[int, ...] = (),
    ) -> tuple[int, Any]:
        response = self.client.open(
            path,
            method=method,
            headers={**_JSON_HEADERS, "Authorization": f"Bearer {token}", **(headers or {})},
            data=None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8"),
            environ_overrides={"ocop_local.quiet": True},
        )
        text = response.get_data(as_text=True)
        if response.status_code not in ok + tolerate:
            raise DemoError(f"{method} {path} answered {response.status_code}: {text[:800]}")
        if response.mimetype == "application/json" and text:
            return response.status_code, json.loads(text)
        return response.status_code, text


def _codes(api: _Api, token: str, batch_id: str, first: int, last: int) -> list[dict[str, str]]:
    _, text = api.call("GET", f"/batches/{batch_id}/codes.csv?from={first}&to={last}", token)
    return list(csv.DictReader(io.StringIO(text)))


def _create_lot(api: _Api, token: str, body: dict[str, Any]) -> dict[str, Any]:
    status, lot = api.call("POST", "/lots", token, body, tolerate=(409,))
    if status == 409:  # a persistent endpoint that has this lot code from an earlier run
        body = {**body, "lot_code": f"{body['lot_code']}-{secrets.token_hex(2).upper()}"[:20]}
        _, lot = api.call("POST", "/lots", token, body)
    return dict(lot)


# --- loading ---------------------------------------------------------------------------------
def load_demo(
    app: Callable[..., Any],
    *,
    state_dir: str | os.PathLike[str] | None = None,
    data: dict[str, Any] | None = None,
) -> DemoSummary:
    """Load the demo through the API served by ``app`` (a WSGI app, e.g. ``make_app()``)."""
    data = data or demo_data()
    state = Path(state_dir) if state_dir is not None else tokens.default_state_dir()
    api = _Api(app)
    admin = tokens.issue_token("admin", ttl_seconds=3600, state_dir=state)
    today = _today()
    summary = DemoSummary(producer_id=DEMO_PRODUCER)

    existing = []
    for producer in data["producers"]:
        status, _ = api.call("POST", "/producers", admin, producer_body(producer), tolerate=(409,))
        if status == 409:
            existing.append(producer["key"])
        summary.producers.append(producer["key"])
    saved = state / SUMMARY_FILE
    if len(existing) == len(data["producers"]) and saved.is_file():
        reused = DemoSummary(**json.loads(saved.read_text(encoding="utf-8")))
        reused.reused = True
        log.info("demo data already loaded (every producer exists); using %s", saved)
        return reused

    number = 0
    for producer in data["producers"]:
        main = producer["key"] == DEMO_PRODUCER
        token = tokens.issue_token("producer", producer_id=producer["key"], ttl_seconds=3600, state_dir=state)
        for index, product in enumerate(producer.get("products", [])):
            number += 1
            gtin = DEMO_GTIN if main and index == 0 else None
            status, created = api.call(
                "POST", "/products", admin, product_body(producer, product, number, gtin=gtin), tolerate=(409,)
            )
            if status == 409:  # an earlier run's product holds the GTIN (a GTIN names one product)
                log.info("demo GTIN %s is an earlier run's product; this one is registered without it", gtin)
                _, created = api.call("POST", "/products", admin, product_body(producer, product, number, gtin=None))
            product_id = created["product_id"]
            summary.products[product_id] = producer["key"]
            lot = _create_lot(
                api,
                token,
                lot_body(
                    producer,
                    product,
                    product_id,
                    production=today - dt.timedelta(days=20),
                    expiry=today + dt.timedelta(days=365),
                ),
            )
            size = MAIN_BATCH_SIZE if main and index == 0 else OTHER_BATCH_SIZE
            _, batch = api.call(
                "POST",
                "/batches",
                token,
                {"product_id": product_id, "size": size, "note": "Đợt tem minh họa (demo)"},
                headers={"Idempotency-Key": f"demo-batch-{product_id}"},
            )
            batch_id = batch["batch_id"]
            summary.batches[batch_id] = producer["key"]
            first, last = MAIN_CURRENT if main and index == 0 else OTHER_CURRENT
            api.call(
                "POST",
                f"/batches/{batch_id}/activations",
                token,
                {"first_serial": first, "last_serial": last, "lot_id": lot["lot_id"]},
            )
            if main and index == 0:
                _main_stamps(api, token, producer, product, product_id, batch_id, summary)

    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def _main_stamps(
    api: _Api,
    token: str,
    producer: dict[str, Any],
    product: dict[str, Any],
    product_id: str,
    batch_id: str,
    summary: DemoSummary,
) -> None:
    """The stamps to try: genuine, past expiry, recalled, void, never activated, mistyped."""
    expired_lot = _create_lot(
        api,
        token,
        lot_body(producer, product, product_id, production=dt.date(2023, 3, 1), expiry=dt.date(2024, 3, 1)),
    )
    first, last = MAIN_EXPIRED
    status, answer = api.call(
        "POST",
        f"/batches/{batch_id}/activations",
        token,
        {"first_serial": first, "last_serial": last, "lot_id": expired_lot["lot_id"]},
        tolerate=(400, 409, 422),
    )
    genuine = _codes(api, token, batch_id, MAIN_CURRENT[0], MAIN_CURRENT[0])[0]
    summary.stamps["genuine"] = genuine["label_url"]
    if status in (200, 201):
        summary.stamps["expired"] = _codes(api, token, batch_id, first, first)[0]["label_url"]
    else:
        log.warning("the API refused to bind stamps to an expired lot (%s): %s", status, answer)
    recalled_lot = _create_lot(
        api,
        token,
        lot_body(
            producer,
            product,
            product_id,
            production=_today() - dt.timedelta(days=40),
            expiry=_today() + dt.timedelta(days=300),
        ),
    )
    first, last = MAIN_RECALLED
    bound, _ = api.call(
        "POST",
        f"/batches/{batch_id}/activations",
        token,
        {"first_serial": first, "last_serial": last, "lot_id": recalled_lot["lot_id"]},
        tolerate=(409,),
    )
    recalled, _ = api.call(
        "POST",
        f"/lots/{recalled_lot['lot_id']}/recall",
        token,
        {
            "reason": "Mẫu kiểm nghiệm không đạt (dữ liệu minh họa)",
            "message_vi": "Lô hàng này bị thu hồi. Vui lòng ngừng sử dụng và mang trả nơi mua. (demo)",
            "message_en": "This lot is recalled. Please stop using it and return it where you bought it. (demo)",
        },
        tolerate=(409,),
    )
    if bound in (200, 201) and recalled in (200, 201, 409):
        summary.stamps["recalled"] = _codes(api, token, batch_id, first, first)[0]["label_url"]
    voided, _ = api.call(
        "POST",
        f"/batches/{batch_id}/voids",
        token,
        {"first_serial": MAIN_VOID, "reason": "damaged", "note": "Tem rách khi dán (demo)"},
        tolerate=(409,),
    )
    if voided in (200, 201):
        summary.stamps["void"] = _codes(api, token, batch_id, MAIN_VOID, MAIN_VOID)[0]["label_url"]
    before_lot = _create_lot(
        api, token, lot_body(producer, product, product_id, production=BEFORE_2025[0], expiry=BEFORE_2025[1])
    )
    first, last = MAIN_BEFORE_2025
    bound, _ = api.call(
        "POST",
        f"/batches/{batch_id}/activations",
        token,
        {"first_serial": first, "last_serial": last, "lot_id": before_lot["lot_id"]},
        tolerate=(409,),
    )
    if bound in (200, 201):
        summary.stamps["before_2025"] = _codes(api, token, batch_id, first, first)[0]["label_url"]
    unbound = MAIN_RECALLED[1] + 1
    summary.stamps["not_activated"] = _codes(api, token, batch_id, unbound, unbound)[0]["label_url"]
    code = genuine["code"]
    summary.stamps["mistyped"] = genuine["label_url"][: -len(code)] + mistype(code)
