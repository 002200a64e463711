"""Which lot a serial is bound to: a binary search over a batch's activation ranges."""

from __future__ import annotations

import bisect

from ocop_stamps.storage.models import BatchItem


def lot_of_serial(batch: BatchItem, serial: int) -> str | None:
    """Which lot a serial is bound to, by binary search over the batch's ranges."""
    ranges = sorted((int(a.first), int(a.last), a.lot_id) for a in batch.activations)
    i = bisect.bisect_right([r[0] for r in ranges], serial) - 1
    if i >= 0 and ranges[i][0] <= serial <= ranges[i][1]:
        return ranges[i][2]
    return None
