"""Migration steps: each a pure function from a stored catalog item (a plain dict, numbers as
``Decimal``) to the item in today's shape, returning its input unchanged (the same dict, or an
equal one) when there is nothing to do -- so a second run changes nothing.

To add a step, write its function (here or beside the code that owns the shape) and add one line
to ``STEPS``. Steps run in ``STEPS`` order on every item of their kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ocop_stamps.core.ocop import current_rating, is_legacy_rating
from ocop_stamps.core.vocabulary import LEGACY_GROUPS

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


STEPS: tuple[Step, ...] = (
    Step("ocop-groups-148-2023", ("product",), product_groups),
    Step("ocop-ratings-decision-certificate", ("product",), product_ratings),
)
"""Every step, in the order they run."""
