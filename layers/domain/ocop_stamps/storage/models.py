"""pynamodb models: the shape of every item, keyed exactly as in infra/template.yaml.

The catalog is one table holding producers, products, lots, batches and counters under
``pk``/``sk`` prefixes, with ``gsi1`` listing a producer's things. Stamps and scans have
tables of their own because their traffic is of another order.

Catalog items carry ``gsi1pk``/``gsi1sk`` for the template's ``gsi1``: products, lots and
batches declare it as ``by_producer`` (a producer's lists in the console, issue 15); products are found by GTIN through ``by_gtin``
(the Digital Link walk-up, ``storage.repository.products_with_gtin``). The Scans table's indexes are declared on
``ScanItem`` from ``storage.keys.INDEXES``: pynamodb finds them by name when the
inspector queries run (``storage.inspection.query_scans``).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ocop_stamps.core.settings import Settings
from ocop_stamps.core.text import nfc
from ocop_stamps.storage.faults import CONNECT_TIMEOUT, READ_TIMEOUT
from ocop_stamps.storage.keys import INDEXES


class _Meta:
    region: str | None = None
    # One attempt per call: ``storage.faults.retrying`` is the one retry loop (issue 13).
    max_retry_attempts = 0
    connect_timeout_seconds = CONNECT_TIMEOUT
    read_timeout_seconds = READ_TIMEOUT


class _ReadsNFC:
    """Items come back from a table with every string in NFC (``core.text``), whatever was
    stored before the request boundary normalised text (issue 11, fault 5): pynamodb builds
    every item it reads -- get, query, batch get, refresh -- through ``_instantiate`` or
    ``deserialize``, so the raw attribute values are normalised once, there."""

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, Any]) -> Any:
        return super()._instantiate(nfc(attribute_values))  # type: ignore[misc]

    def deserialize(self, attribute_values: dict[str, Any]) -> None:
        super().deserialize(nfc(attribute_values))  # type: ignore[misc]


class CatalogItem(_ReadsNFC, Model):
    """Base for everything in the catalog table."""

    class Meta(_Meta):
        table_name = "ocop-catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)
    demo = BooleanAttribute(default=False)


class _ByProducer(GlobalSecondaryIndex[Any]):
    """The catalog's ``gsi1``: a producer's products, lots and batches (``gsi1pk`` = the
    producer's key, ``gsi1sk`` = the item's key; batches zero-padded). Each model declares its
    own instance so a query builds items of that model (the console's lists, issue 15)."""

    Meta = type("Meta", (), {"index_name": "gsi1", "projection": AllProjection()})
    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ProducerItem(CatalogItem):
    producer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    producer_kind = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)
    tax_code = UnicodeAttribute(null=True)
    address = MapAttribute[str, str]()
    phone = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")
    # gsi1: every producer under ``PRODUCERS``, newest first (the OCOP office's list; keys.producer_listing_key)
    by_producer = _ByProducer()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class _ByGtin(GlobalSecondaryIndex["ProductItem"]):
    """The catalog's sparse ``by_gtin`` index: products that carry a GTIN (the Digital Link walk-up)."""

    Meta = type("Meta", (), {"index_name": "by_gtin", "projection": AllProjection()})
    gtin = UnicodeAttribute(hash_key=True)


class ProductItem(CatalogItem):
    by_gtin = _ByGtin()
    by_producer = _ByProducer()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    product_id = UnicodeAttribute()
    producer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    group = UnicodeAttribute()
    gtin = UnicodeAttribute(null=True)
    image_url = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    # Issue 12 (Circular 02/2024/TT-BKHCN, Decree 37/2026/NĐ-CP): optional, absent on older items.
    made_in = MapAttribute[str, object](null=True)  # {"country": "VN", "place": "Thái Nguyên"}
    standards = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # as declared, in order
    ocop = MapAttribute[str, object](null=True)
    repeat_threshold = NumberAttribute(default=5)  # distinct scanners (scanning.scanners)
    # Every rating step (record, renew, downgrade, withdraw) appended; never rewritten.
    ocop_history = ListAttribute[MapAttribute[str, object]](of=MapAttribute, default=list)
    revision = NumberAttribute(default=0)


class LotItem(CatalogItem):
    by_producer = _ByProducer()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    lot_id = UnicodeAttribute()
    lot_code = UnicodeAttribute()
    product_id = UnicodeAttribute()
    producer_id = UnicodeAttribute()
    production_date = UnicodeAttribute()
    expiry_date = UnicodeAttribute(null=True)  # none for groups without one (core.vocabulary.EXPIRY_REQUIRED)
    quantity = NumberAttribute()
    unit = UnicodeAttribute()
    origin = MapAttribute[str, object]()
    certifications = UnicodeSetAttribute(null=True)
    standards = UnicodeSetAttribute(null=True)
    process_steps = ListAttribute[MapAttribute[str, object]](of=MapAttribute, default=list)
    # Batches with stamps bound to this lot: a recall must reach each of them.
    batch_nos = NumberSetAttribute(null=True)
    # Current recall state ({"status": "recalled"|"lifted", reason, message, at, by}) and
    # every step of it, appended.
    recall = MapAttribute[str, object](null=True)
    recall_history = ListAttribute[MapAttribute[str, object]](of=MapAttribute, default=list)
    revision = NumberAttribute(default=0)


class LotCodeClaim(CatalogItem):
    """Makes a lot code unique per producer: written in the same transaction as the lot."""

    lot_id = UnicodeAttribute()


class GtinClaim(CatalogItem):
    """Makes a GTIN one product's: written in the same transaction as the product (a GS1
    Digital Link ``/01/{gtin}`` names exactly one product, GS1 General Specifications 4.2)."""

    product_id = UnicodeAttribute()


class Activation(MapAttribute[str, object]):
    first = NumberAttribute()
    last = NumberAttribute()
    lot_id = UnicodeAttribute()
    at = UnicodeAttribute()


class VoidRange(MapAttribute[str, object]):
    first = NumberAttribute()
    last = NumberAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class BatchItem(CatalogItem):
    by_producer = _ByProducer()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    batch_no = NumberAttribute()
    product_id = UnicodeAttribute()
    producer_id = UnicodeAttribute()
    size = NumberAttribute()
    key_version = NumberAttribute()
    note = UnicodeAttribute(null=True)
    # Activation ranges live on the batch so one read answers "which lot is serial s
    # in?". Optimistic locking on ``revision`` keeps concurrent activations disjoint.
    activations = ListAttribute[Activation](of=Activation, default=list)
    voids = ListAttribute[VoidRange](of=VoidRange, default=list)
    # lot_id -> {"reason", "message", "at"} for every recalled lot bound in this batch:
    # the scan reads the batch fresh, so a recall or a void shows on the very next scan.
    recalls = MapAttribute[str, object](default=dict)
    revision = NumberAttribute(default=0)
    # Two-layer stamps (issue 14, docs/PIN.md): a scratch-off PIN under each label, derived under
    # PIN key ``pin_key_version`` (fixed at issue). Batches stored before issue 14 read as one layer.
    second_layer = BooleanAttribute(null=True)
    pin_key_version = NumberAttribute(null=True)
    # every download of the PIN layer: {"by", "producer_id", "at", "first", "last", "format"}
    pin_downloads = ListAttribute[MapAttribute[str, object]](of=MapAttribute, null=True)


class EventItem(CatalogItem):
    """One EPCIS 2.0 event in the append-only history of a lot, batch or product."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    epcis = UnicodeAttribute()  # the event as JSON, exactly as it will be served


class CounterItem(CatalogItem):
    value = NumberAttribute(default=0)


class StampItem(_ReadsNFC, Model):
    """Per-stamp state, created lazily by the first scan (never at issue time)."""

    class Meta(_Meta):
        table_name = "ocop-stamps"

    code = UnicodeAttribute(hash_key=True)
    batch_no = NumberAttribute()
    serial = NumberAttribute()
    scan_count = NumberAttribute(default=0)
    first_scan_at = UnicodeAttribute(null=True)
    first_province = UnicodeAttribute(null=True)
    last_scan_at = UnicodeAttribute(null=True)
    # Distinct scanners of the stamp (issue 11, ``scanning.scanners``): two hex digits of each
    # person's client hash, so at most 256 members; added by the same UpdateItem as the count.
    scanners = UnicodeSetAttribute(null=True)
    # The scratch-off PIN (issue 14, docs/PIN.md), for a stamp of a two-layer batch: when and
    # where (province code, as a scan's coarse place; "?" unplaced) its first buyer claimed it,
    # a hash of that request's identity (a retry of it answers "first" again), and the wrong
    # PINs entered over its life (at ``codes.pins.MAX_WRONG_TRIES`` its PIN is locked).
    claimed_at = UnicodeAttribute(null=True)
    claimed_province = UnicodeAttribute(null=True)
    claim_ref = UnicodeAttribute(null=True)
    pin_failures = NumberAttribute(null=True)


class RateItem(_ReadsNFC, Model):
    """One rate counter (``scanning.limits``): unknown-code lookups or reports per client hash,
    reports per code, each per window."""

    class Meta(_Meta):
        table_name = "ocop-stamps"

    code = UnicodeAttribute(hash_key=True)  # keys.rate_key: "~rate#{limit}#{subject}#{window}", never a code
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)  # epoch seconds, DynamoDB TTL


def _scan_index(filter_name: str) -> GlobalSecondaryIndex[ScanItem]:
    """The sharded inspector index of one log filter (``storage.keys.INDEXES``, keys written by ``keys.fill``)."""
    name, shard_attribute = INDEXES[filter_name]
    assert name is not None, f"{filter_name} reads the table itself"
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {
        "Meta": meta,
        shard_attribute: UnicodeAttribute(hash_key=True),
        "scan_key": UnicodeAttribute(range_key=True),
    }
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)()  # type: ignore[no-any-return]


class ScanItem(_ReadsNFC, Model):
    """One line of the verification log. ``scan_key`` = ISO time + '#' + scan number."""

    class Meta(_Meta):
        table_name = "ocop-scans"

    code = UnicodeAttribute(hash_key=True)
    scan_key = UnicodeAttribute(range_key=True)
    # inspector indexes (issue 6): sharded partition keys, see storage/keys.py and docs/DATA-MODEL.md
    by_lot = _scan_index("lot")
    by_batch = _scan_index("batch")
    by_product = _scan_index("product")
    by_producer = _scan_index("producer")
    by_province = _scan_index("province")
    by_home_province = _scan_index("home_province")
    by_verdict = _scan_index("verdict")
    lot_shard = UnicodeAttribute(null=True)
    batch_shard = UnicodeAttribute(null=True)
    product_shard = UnicodeAttribute(null=True)
    producer_shard = UnicodeAttribute(null=True)
    province_shard = UnicodeAttribute(null=True)
    home_shard = UnicodeAttribute(null=True)  # only when home_province is not the jurisdiction (issue 11)
    verdict_shard = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # epoch seconds: DynamoDB TTL (evidence retention)
    producer_province = UnicodeAttribute(null=True)  # as in the producer's address
    jurisdiction = UnicodeAttribute(
        null=True
    )  # today's GSO code (VN-xx before issue 12): where scanned, else the producer's
    home_province = UnicodeAttribute(
        null=True
    )  # GSO code of producer_province (keys.home_province); VN-xx before issue 12
    salt_version = UnicodeAttribute(null=True)  # which salt made client_hash (rotated)
    lot_id = UnicodeAttribute(null=True)
    scanned_at = UnicodeAttribute()
    verdict = UnicodeAttribute()
    verdicts = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]  # pynamodb's stub is too narrow
    reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    country = UnicodeAttribute(null=True)
    province = UnicodeAttribute(null=True)
    client_hash = UnicodeAttribute(null=True)
    ua_family = UnicodeAttribute(null=True)
    batch_no = NumberAttribute(null=True)
    serial = NumberAttribute(null=True)
    scan_no = NumberAttribute(null=True)
    product_id = UnicodeAttribute(null=True)
    producer_id = UnicodeAttribute(null=True)
    # Who asked: a scan's ``core.vocabulary.ScanKind`` (person, preview, bot, prefetch, head;
    # none on lines from before issue 11: a person), or "report" for a consumer's report of a
    # suspected fake (verdict "report").
    kind = UnicodeAttribute(null=True)
    report_where = UnicodeAttribute(null=True)
    report_note = UnicodeAttribute(null=True)
    # the province named in report_where (places.scopes.named_in): today's GSO code; VN-xx before issue 12
    report_province = UnicodeAttribute(null=True)
    # The lot printed on the label (AI 10 of a Digital Link), and what the scan showed beside
    # its verdicts, e.g. ``lot_mismatch`` when that lot is not the stamp's (scanning.verification).
    label_lot = UnicodeAttribute(null=True)
    flags = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    # What a person reads the lot and product by, copied at write time from what the scan
    # already read (no extra request): the producer's lot code and the product's name. Lines
    # written before have neither (docs/DATA-MODEL.md, "The verification log").
    lot_code = UnicodeAttribute(null=True)
    product_name = UnicodeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    CatalogItem,
    ProducerItem,
    ProductItem,
    LotItem,
    LotCodeClaim,
    GtinClaim,
    BatchItem,
    CounterItem,
    EventItem,
    StampItem,
    RateItem,
    ScanItem,
)


def bind_tables(settings: Settings) -> None:
    """Point every model at the configured table names (env decides, not import order)."""
    for model in ALL_MODELS:
        if issubclass(model, CatalogItem):
            model.Meta.table_name = settings.catalog_table
    StampItem.Meta.table_name = settings.stamps_table
    RateItem.Meta.table_name = settings.stamps_table
    ScanItem.Meta.table_name = settings.scans_table
    for model in ALL_MODELS:
        model._connection = None  # connections remember the table name they were made for
