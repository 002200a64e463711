"""Helpers shared by the test tiers (tests/unit, tests/integration, tests/e2e) and by the
scripts in tests/perf. Test modules never import one another: what two of them share lives
here. Nothing in this package starts moto or the local stack on import; the fixtures that
do are in tests/integration/conftest.py (moto) and tests/e2e/conftest.py (the local stack).
"""
