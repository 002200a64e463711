"""The local stack's side of the console: `make dev` prints its address, and its sign-in lists
the demo users with the claims of their local tokens (never set by the template)."""

from __future__ import annotations

import json
from pathlib import Path

from ocop_local import demo, tokens
from ocop_local.__main__ import banner
from ocop_local.server import local_environment
from ocop_local.template import http_routes, load_template


def test_given_make_dev_when_its_banner_prints_then_the_console_address_is_there(tmp_path: Path) -> None:
    template = load_template()

    text = banner("http://127.0.0.1:3000", http_routes(template), tmp_path / "dev-tokens.json", None, "moto")

    assert "Bảng điều khiển / Console: http://127.0.0.1:3000/console" in text


def test_given_the_local_environment_then_the_console_lists_the_demo_users_with_their_token_claims(
    tmp_path: Path,
) -> None:
    env = local_environment(load_template(), "http://127.0.0.1:3999", tmp_path)

    users = json.loads(env["OCOP_CONSOLE_LOCAL_USERS"])

    assert env["CONSOLE_URL"] == "http://127.0.0.1:3999/console"
    assert users["producer"]["custom:producer_id"] == demo.DEMO_PRODUCER
    assert users["producer-2"]["custom:producer_id"] != demo.DEMO_PRODUCER
    assert {u["cognito:groups"][0] for u in users.values()} == {"producer", "inspector", "admin"}
    assert users["inspector"]["sub"] == tokens.subject("inspector")
