"""Registering producers, products and lots -- the master data a scan shows."""

from __future__ import annotations

from typing import Any

from ocop_stamps.catalog.ratings import checked
from ocop_stamps.catalog.schemas import LotIn, ProducerIn, ProductIn
from ocop_stamps.catalog.views import lot_view, producer_view, product_view, rating_history
from ocop_stamps.core.errors import Conflict, NotFound, Unprocessable
from ocop_stamps.core.ids import iso, new_id, utc_now
from ocop_stamps.core.vocabulary import EXPIRY_REQUIRED, OCOP_GROUP_LABELS, VN_TZ, RatingAction, current_group
from ocop_stamps.places.addresses import day_of
from ocop_stamps.places.addresses import record as place_of
from ocop_stamps.storage import accounts
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import GtinClaim, LotCodeClaim, LotItem, ProducerItem, ProductItem

LIST_LIMIT = 50  # a console list shows the newest 50; more is paging (docs/CONSOLE.md)


def register_producer(data: ProducerIn) -> dict[str, Any]:
    """Register a producer; its address is checked as of today, the day of registration (400 otherwise)."""
    producer_id = data.producer_id or new_id("pro")
    now = utc_now()
    address = place_of(data.address.model_dump(exclude_none=True), now.astimezone(VN_TZ).date(), "address")
    item = ProducerItem(
        table_keys.producer_key(producer_id),
        table_keys.PROFILE,
        kind="producer",
        created_at=iso(now),
        demo=data.demo,
        producer_id=producer_id,
        name=data.name,
        producer_kind=data.kind.value,
        owner=data.owner,
        tax_code=data.tax_code,
        address=address,
        phone=data.phone,
        gsi1pk=table_keys.PRODUCERS,
        gsi1sk=table_keys.producer_listing_key(iso(now), producer_id),
    )
    taken = Conflict(f"A producer with id '{producer_id}' already exists.", f"Đã có chủ thể với mã '{producer_id}'.")
    account = None
    if data.account_email:
        if repo.get_producer(producer_id) is not None:
            raise taken  # before making an account for it
        account = accounts.create_producer_user(producer_id, data.account_email)
    try:
        repo.create(item)
    except Exception as exc:
        if account and account.get("status") == "invited":
            accounts.delete_user(data.account_email or "")  # no account without its producer
        if isinstance(exc, repo.AlreadyExists):
            raise taken from None
        raise
    view = producer_view(item)
    if account:
        view["account"] = account
    return view


def _gtin_taken(gtin: str) -> Conflict:
    return Conflict(
        f"GTIN {gtin} is already registered for another product; a GTIN names one product (GS1).",
        f"Mã GTIN {gtin} đã được đăng ký cho một sản phẩm khác; mỗi mã GTIN chỉ dùng cho một sản phẩm (GS1).",
        details=[{"field": "gtin", "problem": "already registered"}],
    )


def register_product(data: ProductIn) -> dict[str, Any]:
    """Register a product (dict of its view). NotFound for an unknown producer; Conflict (409)
    when its GTIN is another product's: held by a ``GtinClaim`` written with the product, and
    looked up in the ``by_gtin`` index for products registered before the claims existed; Conflict
    (409) when ``data.product_id`` is taken (a retried registration: one product, decision of
    2026-11-30, docs/CONSOLE.md)."""
    if repo.get_producer(data.producer_id) is None:
        raise NotFound(
            f"Producer '{data.producer_id}' is not registered; register it first (`POST /producers`).",
            f"Chưa có chủ thể '{data.producer_id}'; hãy đăng ký chủ thể trước (`POST /producers`).",
        )
    product_id = data.product_id or new_id("prd")
    ocop = {**checked(data.ocop, "ocop"), "action": RatingAction.record.value} if data.ocop else None
    item = ProductItem(
        table_keys.product_key(product_id),
        table_keys.PROFILE,
        kind="product",
        created_at=iso(utc_now()),
        demo=data.demo,
        gsi1pk=table_keys.producer_key(data.producer_id),
        gsi1sk=table_keys.product_key(product_id),
        product_id=product_id,
        producer_id=data.producer_id,
        name=data.name,
        name_en=data.name_en,
        brand=data.brand,
        group=data.group.value,
        gtin=data.gtin,
        image_url=str(data.image_url) if data.image_url else None,
        description=data.description,
        made_in=data.made_in.model_dump(exclude_none=True) if data.made_in else None,
        standards=list(dict.fromkeys(data.standards)) or None,
        ocop=ocop,
        ocop_history=[{**ocop, "at": iso(utc_now())}] if ocop else [],
        repeat_threshold=data.repeat_threshold,
    )
    if data.gtin is None:
        try:
            repo.create(item)
        except repo.AlreadyExists:
            raise _product_id_taken(product_id) from None
        return product_view(item)
    if repo.products_with_gtin(data.gtin, limit=1):
        raise _gtin_or_id_taken(data, product_id)
    claim = GtinClaim(
        table_keys.gtin_claim_key(data.gtin),
        table_keys.PROFILE,
        kind="gtin",
        created_at=item.created_at,
        product_id=product_id,
    )
    try:
        repo.create_product(item, claim)
    except repo.AlreadyExists:
        raise _gtin_or_id_taken(data, product_id) from None
    return product_view(item)


def _gtin_or_id_taken(data: ProductIn, product_id: str) -> Conflict:
    """The refusal of a product whose GTIN is claimed: its id's, when the client chose the id and
    a product has it (a retry of a registration that went through), else the GTIN's."""
    if data.product_id and repo.get_product(product_id) is not None:
        return _product_id_taken(product_id)
    return _gtin_taken(str(data.gtin))


def _product_id_taken(product_id: str) -> Conflict:
    return Conflict(
        f"A product with id '{product_id}' already exists.",
        f"Đã có sản phẩm với mã '{product_id}'.",
        details=[{"field": "product_id", "problem": "already registered"}],
    )


def own_producer(producer_id: str) -> dict[str, Any]:
    """The signed-in producer as ``producer_view`` (what a scan page shows of it: name, phone,
    address); one GetItem. 404 when there is none."""
    producer = repo.get_producer(producer_id)
    if producer is None:
        raise NotFound(f"Producer '{producer_id}' is not registered.", f"Chủ thể '{producer_id}' chưa được đăng ký.")
    return producer_view(producer)


def producers(limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The newest ``limit`` producers as ``producer_view`` (the OCOP office's list): one Query of ``gsi1``."""
    return [producer_view(p) for p in repo.listed_producers(limit)]


def product_record(product_id: str) -> dict[str, Any]:
    """Any product (the OCOP office's page) as ``product_view`` with ``ocop_history`` (oldest
    first, today's shape); one GetItem. 404 when there is none."""
    product = repo.get_product(product_id)
    if product is None:
        raise NotFound(f"There is no product '{product_id}'.", f"Không có sản phẩm '{product_id}'.")
    view = product_view(product)
    view["ocop_history"] = rating_history(product.ocop_history)
    return view


def own_product(producer_id: str, product_id: str) -> ProductItem:
    """The product, if it is this producer's; otherwise the same 404 as a missing one."""
    product = repo.get_product(product_id)
    if product is None or product.producer_id != producer_id:
        raise NotFound(
            f"Product '{product_id}' is not one of your products.",
            f"Sản phẩm '{product_id}' không thuộc danh mục sản phẩm của bạn.",
        )
    return product


def own_lot(producer_id: str | None, lot_id: str, *, consistent: bool = False) -> LotItem:
    """The lot, if it is this producer's (any lot for producer_id None: admins, inspectors)."""
    lot = repo.get_lot_consistent(lot_id) if consistent else repo.get_lot(lot_id)
    if lot is None or (producer_id is not None and lot.producer_id != producer_id):
        raise NotFound(
            f"Lot '{lot_id}' is not one of your lots.",
            f"Lô '{lot_id}' không thuộc các lô sản xuất của bạn.",
        )
    return lot


def _steps(data: LotIn) -> list[dict[str, Any]]:
    """The process steps to store: each step's place checked as of the step's own day."""
    steps = []
    for i, step in enumerate(data.process_steps):
        stored = step.model_dump(mode="json", exclude_none=True)
        if step.place is not None:
            stored["place"] = place_of(stored["place"], day_of(step.when), f"process_steps.{i}.place")
        steps.append(stored)
    return steps


def register_lot(producer_id: str, data: LotIn) -> dict[str, Any]:
    """Register a lot: its raw-material origin is checked as of the production date, each
    process step's place as of that step (400 otherwise; docs/ADMINISTRATIVE-UNITS.md)."""
    origin = place_of(data.origin.model_dump(mode="json", exclude_none=True), data.production_date, "origin")
    steps = _steps(data)
    product = own_product(producer_id, data.product_id)
    group = current_group(product.group)
    if data.expiry_date is None and (group is None or group in EXPIRY_REQUIRED):
        vi, en = OCOP_GROUP_LABELS[group] if group else ("", "")
        raise Unprocessable(
            f"expiry_date is required for a lot of {en.lower() or 'this product'}: only handicrafts, ornamental "
            "plants and animals and tourism services may have none.",
            f"Cần nhập hạn sử dụng cho lô {vi.lower() or 'sản phẩm này'}: chỉ hàng thủ công mỹ nghệ, sinh vật "
            "cảnh và dịch vụ du lịch mới được để trống.",
            details=[{"field": "expiry_date", "problem": "required for this product group"}],
        )
    lot_id = new_id("lot")
    now = iso(utc_now())
    lot = LotItem(
        table_keys.lot_key(lot_id),
        table_keys.PROFILE,
        kind="lot",
        created_at=now,
        gsi1pk=table_keys.producer_key(producer_id),
        gsi1sk=table_keys.lot_key(lot_id),
        lot_id=lot_id,
        lot_code=data.lot_code,
        product_id=data.product_id,
        producer_id=producer_id,
        production_date=data.production_date.isoformat(),
        expiry_date=data.expiry_date.isoformat() if data.expiry_date else None,
        quantity=data.quantity,
        unit=data.unit,
        origin=origin,
        certifications=set(data.certifications) or None,
        standards=set(data.standards) or None,
        process_steps=steps,
    )
    claim = LotCodeClaim(
        table_keys.producer_key(producer_id),
        table_keys.lot_code_claim_key(data.lot_code),
        kind="lot_code",
        created_at=now,
        lot_id=lot_id,
    )
    try:
        repo.create_lot(lot, claim)
    except repo.AlreadyExists:
        raise Conflict(
            f"You already have a lot with code '{data.lot_code}'; lot codes are unique per producer.",
            f"Bạn đã có lô mang mã '{data.lot_code}'; mã lô không được trùng.",
        ) from None
    return lot_view(lot)


def products_of(producer_id: str, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The producer's products as ``product_view`` (with the rating's status), at most ``limit``:
    one Query of the catalog's ``gsi1``."""
    items = repo.producer_items(ProductItem, producer_id, "PRODUCT#", limit)
    return [product_view(p) for p in items if p.producer_id == producer_id]


def lots_of(producer_id: str, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The producer's lots as ``lot_view``, at most ``limit``: one Query of ``gsi1``."""
    items = repo.producer_items(LotItem, producer_id, "LOT#", limit)
    return [lot_view(lot) for lot in items if lot.producer_id == producer_id]
