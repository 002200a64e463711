"""Running the migration steps across the catalog table: page by page, item by item, each item
written only if it changed and only over the values it was read with (``storage.migrations``).

Idempotent: a step returns an item already in today's shape unchanged, so a second run writes
nothing. A concurrent update (a rating recorded while the migration runs) makes the conditional
write fail; the item is read again and the steps applied to it as it is now, up to
``ATTEMPTS`` times, after which it is counted in ``conflicts`` and left for the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ocop_stamps.migration.steps import STEPS, Item, Step
from ocop_stamps.observability import logger
from ocop_stamps.storage import migrations as table

ATTEMPTS = 5
PAGE_SIZE = 100  # items read per Scan request


@dataclass
class Report:
    """What a run did: items read (of the steps' kinds), items written, per step the items it
    changed, items re-read after a concurrent change, and items left because they kept changing."""

    dry_run: bool = False
    scanned: int = 0
    written: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    conflicts: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def migrate_item(item: Item, steps: Sequence[Step] = STEPS) -> tuple[Item, list[str]]:
    """``item`` after every step that applies to its kind, and the names of the steps that changed it."""
    changed = []
    for step in steps:
        if item.get("kind") not in step.kinds:
            continue
        after = step.apply(item)
        if after != item:
            changed.append(step.name)
            item = after
    return item, changed


def run(steps: Sequence[Step] = STEPS, *, dry_run: bool = False, page_size: int = PAGE_SIZE) -> Report:
    """Apply ``steps`` to every catalog item of their kinds; with ``dry_run``, count without writing."""
    report = Report(dry_run=dry_run, changed={step.name: 0 for step in steps})
    kinds = {kind for step in steps for kind in step.kinds}
    start: dict[str, Any] | None = None
    while kinds:
        items, start = table.catalog_page(kinds, start, page_size)
        for item in items:
            report.scanned += 1
            _one(item, steps, report)
        if start is None:
            break
    logger.info("migration run", extra={"migration": report.to_json()})
    return report


def _one(item: Item, steps: Sequence[Step], report: Report) -> None:
    current: Item | None = item
    for attempt in range(ATTEMPTS):
        if current is None:  # deleted meanwhile: nothing to migrate
            return
        new, changed = migrate_item(current, steps)
        if not changed:
            return
        if report.dry_run or table.write_if_unchanged(current, new):
            report.written += 0 if report.dry_run else 1
            for name in changed:
                report.changed[name] = report.changed.get(name, 0) + 1
            return
        if attempt + 1 < ATTEMPTS:
            report.retried += 1
            current = table.fresh(current)
    report.conflicts += 1
    logger.warning("migration: item kept changing; left for the next run", extra={"pk": item.get("pk")})
