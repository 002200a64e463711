"""How often each batch's stamps were checked by people: the counters the anomaly detector keeps.

The detector adds one to ``STATS#batch:{batch_no}#{shard}`` / ``all`` (Alerts table) for every
person's scan of a batch's stamp, in the same transaction as the day's summaries
(``inspection.detector``); previews, bots and lookups are not counted. Reading a page of
batches costs one BatchGetItem per 100 keys (``SHARDS`` keys a batch), whatever the scans.
Scans made before this counter existed (issue 15) are not in it (docs/CONSOLE.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ocop_stamps.storage import inspection as store
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage.keys import SHARDS

_PER_REQUEST = 100  # BatchGetItem's limit


def scans_by_batch(batch_nos: Iterable[int]) -> dict[int, int]:
    """batch number -> person scans of its stamps so far (0 for a batch never scanned)."""
    wanted = list(dict.fromkeys(int(n) for n in batch_nos))
    keys = [(table_keys.stats_key(f"batch:{n}", shard), "all") for n in wanted for shard in range(SHARDS)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(keys), _PER_REQUEST):
        found.update(store.batch_get(keys[start : start + _PER_REQUEST]))

    def total(n: int) -> int:
        return sum(
            int(found.get((table_keys.stats_key(f"batch:{n}", s), "all"), {}).get("total", 0)) for s in range(SHARDS)
        )

    return {n: total(n) for n in wanted}
