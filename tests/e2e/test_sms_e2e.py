"""The SMS channel on the local stack (issue 14, docs/SMS.md): `python -m ocop_local sms` sends a
fake inbound SMS through the template's POST /sms/inbound over real HTTP, as a telco gateway
would, and prints the reply; the scan it makes is in the inspectors' log."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

JSON = {"Accept": "application/json"}


def text(stack: LocalStack, message: str, *more: str) -> tuple[int, str]:
    """The local command, run as a person runs it; (exit status, what it printed)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocop_local",
            "sms",
            message,
            "--url",
            stack.base_url,
            "--state-dir",
            str(stack.state_dir),
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.strip()


def test_given_the_local_command_when_a_genuine_code_is_texted_then_the_reply_and_one_sms_scan_in_the_log(
    local_stack: LocalStack,
) -> None:
    url = local_stack.summary.stamps["genuine"]
    code = url.rsplit("/", 1)[1]
    before = requests.get(url, headers=JSON, timeout=30).json()["scan"]["count"]

    status, reply = text(local_stack, f"OCOP {code}", "--message-id", "SM-e2e-1", "--from", "0987654321")
    again = text(local_stack, f"OCOP {code}", "--message-id", "SM-e2e-1", "--from", "0987654321")
    twiml = text(local_stack, code.lower(), "--form", "--json")

    assert status == 0 and reply.startswith("Tem chinh hang: ") and len(reply) <= 160
    assert again == (0, reply)  # the gateway's retry: the same reply, not counted again
    assert json.loads(twiml[1])["verdict"] == "genuine"  # Twilio's form shape, asked for JSON
    after = requests.get(url, headers=JSON, timeout=30).json()["scan"]["count"]
    assert after == before + 3  # two texts and this check; the retry counted nothing
    log = requests.get(
        local_stack.url("/scans"), params={"code": code}, headers=local_stack.bearer("inspector"), timeout=30
    ).json()["items"]
    assert [item["channel"] for item in log].count("sms") == 2


def test_given_a_request_without_the_gateway_secret_then_401_and_with_a_wrong_one_403(local_stack: LocalStack) -> None:
    body = {"from": "0912345678", "text": "OCOP", "message_id": "SM-e2e-2"}

    missing = requests.post(local_stack.url("/sms/inbound"), json=body, timeout=30)
    wrong = requests.post(local_stack.url("/sms/inbound"), json=body, headers={"X-Gateway-Secret": "no"}, timeout=30)

    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "unauthorized")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "forbidden")
