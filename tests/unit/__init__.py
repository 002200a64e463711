"""Unit tier: domain logic on plain data, no AWS, no network (see conftest.py)."""
