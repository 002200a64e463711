"""Root conftest: what every tier shares.

The tests are tiered by folder, so the layout says what each test needs:

- ``tests/unit``: domain logic only -- no AWS (real or moto), no network, no local stack,
  no browser (tests/unit/conftest.py enforces it). ``make unit``, well under a minute.
- ``tests/integration``: the functions' handlers called in-process with events from
  ``events/`` against moto (fixtures in tests/integration/conftest.py). ``make integration``.
- ``tests/e2e``: the local stack over real HTTP, the browser, schemathesis fuzzing,
  concurrency (fixtures in tests/e2e/conftest.py). ``make e2e``.

Shared helpers live in ``tests/helpers`` (this folder is on sys.path, so ``from helpers...``);
test modules never import one another. Every test gets its tier's marker (``-m unit`` ...),
and a whole run (``make test``) goes tier by tier, fastest first.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

pytest.register_assert_rewrite("helpers")  # Shop's and the helpers' asserts explain themselves too

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "integration", "e2e")


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are read once per cold start; every test is one (env changes never leak)."""
    from ocop_stamps.core.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader() -> Iterator[None]:
    """Every botocore session of the run shares one data loader. Each new session (moto
    resets boto3's default session per ``mock_aws``; pynamodb makes one per connection and
    thread, so per test and per local-stack request) otherwise parses the same endpoint
    and service JSON again: ~0.3 s of every integration test (docs/PERFORMANCE.md, "Test
    suite time"). The files never change during a run, and botocore only reads what it loads."""
    import botocore.loaders
    import botocore.session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lru_cache(maxsize=None)(botocore.loaders.create_loader))
        yield


def tier_of(path: Path) -> str | None:
    """The tier a test file belongs to: the first folder under tests/, if it is a tier."""
    try:
        first = Path(path).resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    return first if first in TIERS else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {tier: i for i, tier in enumerate(TIERS)}
    for item in items:
        tier = tier_of(item.path)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))
    # stable: each module's tests stay together and in their order
    items.sort(key=lambda item: rank.get(tier_of(item.path) or "", len(TIERS)))
