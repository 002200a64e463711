"""The e2e tier: the local stack served over real HTTP on a random port (moto behind it,
the real handlers behind the local gateway, dev tokens, demo data), the browser, schemathesis
fuzzing, concurrency, and `make dev` itself in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.local_stack import LocalStack, start_local_stack


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local stack per test module (as before the tiers: each module starts its own)."""
    with start_local_stack(tmp_path_factory.mktemp("ocop-local-state")) as stack:
        yield stack
