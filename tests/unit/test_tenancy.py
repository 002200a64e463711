"""The access matrix (tests/helpers/access.py) against the template's authenticated routes
and the gates the functions declare; every route against every role and a foreign tenant
runs in tests/integration/test_tenancy.py."""

from __future__ import annotations

from helpers.access import ACCESS, FUNCTION_DIR, ROUTES


def test_every_authenticated_route_of_the_template_has_an_access_rule():
    assert {r.route_key for r in ROUTES} == set(ACCESS)


def test_the_gates_in_the_functions_say_the_same_as_this_matrix():
    from helpers.handlers import load_handler

    gates: dict[str, set[str]] = {}
    for folder in FUNCTION_DIR.values():
        gates.update({k: set(v) for k, v in load_handler(folder).ROUTE_ROLES.items()})
    assert gates == ACCESS
