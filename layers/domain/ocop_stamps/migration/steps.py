"""Migration steps: each a pure function from a stored catalog item (a plain dict, numbers as
``Decimal``) to the item in today's shape, returning its input unchanged (the same dict, or an
equal one) when there is nothing to do -- so a second run changes nothing.

To add a step, write its function (here or beside the code that owns the shape) and add one line
to ``STEPS``. Steps run in ``STEPS`` order on every item of their kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ocop_stamps.core.dates import day_of
from ocop_stamps.core.ocop import current_rating, is_legacy_rating
from ocop_stamps.core.vocabulary import LEGACY_GROUPS
from ocop_stamps.places.addresses import migrate_address
from ocop_stamps.storage.keys import PRODUCERS, producer_listing_key

Item = dict[str, Any]


class Step(NamedTuple):
    """One migration step: a stable name (it appears in the run's report), the item kinds it
    reads (the catalog's ``kind`` attribute: producer, product, lot, batch, ...) and the function."""

    name: str
    kinds: tuple[str, ...]
    apply: Callable[[Item], Item]


def product_groups(item: Item) -> Item:
    """A product stored under a group of the 2018-2022 rules moves to its Decision 148/QĐ-TTg group
    (``core.vocabulary.LEGACY_GROUPS``: textile_garment, souvenir_furniture_decor -> handicraft)."""
    group = LEGACY_GROUPS.get(str(item.get("group")))
    return item if group is None else {**item, "group": group.value}


def product_ratings(item: Item) -> Item:
    """A product's rating and every step of its rating history in the 2026 shape: the decision
    (number, date, issuing level and body) apart from the certificate (``core.ocop.current_rating``)."""
    ocop = item.get("ocop")
    history = item.get("ocop_history") or []
    if not is_legacy_rating(ocop) and not any(is_legacy_rating(entry) for entry in history):
        return item
    out = dict(item)
    if isinstance(ocop, dict):
        out["ocop"] = current_rating(ocop)
    if history:
        out["ocop_history"] = [current_rating(entry) if isinstance(entry, dict) else entry for entry in history]
    return out


def _address_field(item: Item, field: str, recorded_on: Any) -> Item:
    address = migrate_address(item.get(field), recorded_on=day_of(recorded_on))
    return item if address is None else {**item, field: address}


def producer_address(item: Item) -> Item:
    """A producer's address from before 1 July 2025 keeps every field as entered and gains
    ``current`` (today's province and commune, or the candidates of a split commune:
    ``places.addresses.migrate_address``), as of the day the producer was registered."""
    return _address_field(item, "address", item.get("created_at"))


def lot_origin(item: Item) -> Item:
    """A lot's raw-material origin likewise, as of its production date."""
    return _address_field(item, "origin", item.get("production_date"))


def producer_listed(item: Item) -> Item:
    """A producer registered before the OCOP office's list existed joins it: ``gsi1`` keys
    under ``PRODUCERS``, by its registration time (``storage.keys.producer_listing_key``)."""
    if item.get("gsi1pk") or not item.get("producer_id"):
        return item
    created = str(item.get("created_at") or "")
    return {**item, "gsi1pk": PRODUCERS, "gsi1sk": producer_listing_key(created, str(item["producer_id"]))}


STEPS: tuple[Step, ...] = (
    Step("ocop-groups-148-2023", ("product",), product_groups),
    Step("ocop-ratings-decision-certificate", ("product",), product_ratings),
    Step("addresses-34-provinces-2025", ("producer",), producer_address),
    Step("origins-34-provinces-2025", ("lot",), lot_origin),
    Step("producers-listed", ("producer",), producer_listed),
)
"""Every step, in the order they run."""
