"""Code keys come from SSM (Powertools parameters); rotation keeps printed labels valid."""

from __future__ import annotations

import json

import boto3
import pytest

from helpers.handlers import Shop, scan
from ocop_stamps.codes.scheme import decode
from ocop_stamps.storage import parameters as secrets

OLD = "11" * 16
NEW = "22" * 32


@pytest.fixture
def ssm_keys(aws, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OCOP_CODE_KEYS", raising=False)
    monkeypatch.setenv("CODE_KEYS_PARAMETER", "/ocop/code-keys")
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/ocop/code-keys", Type="SecureString", Value=json.dumps({"1": OLD}))
    secrets.reset_caches()
    yield ssm
    secrets.reset_caches()


def test_given_keys_in_ssm_when_a_key_is_rotated_then_old_and_new_labels_both_scan_genuine(ssm_keys):
    shop = Shop()
    shop.activate(1, 100)
    old_code = shop.codes(1, 1)[0]
    assert old_code[0] == "1" and shop.batch["key_version"] == 1

    # rotation: a new version is added, the old one stays for the labels already printed
    ssm_keys.put_parameter(
        Name="/ocop/code-keys", Type="SecureString", Value=json.dumps({"1": OLD, "2": NEW}), Overwrite=True
    )
    secrets.reset_caches()  # what the 5-minute cache expiry does in a warm function

    new_batch = shop.issue(50)
    assert new_batch["key_version"] == 2
    shop.activate(1, 50, batch_id=new_batch["batch_id"])
    new_code = shop.codes(1, 1, batch_id=new_batch["batch_id"])[0]
    assert new_code[0] == "2"
    assert scan(old_code)[1]["verdict"] == "genuine"
    assert scan(new_code)[1]["verdict"] == "genuine"
    assert shop.codes(1, 1)[0] == old_code  # the old batch's CSV still prints the same code


def test_given_a_cached_key_set_then_ssm_is_not_read_on_every_scan(ssm_keys, ddb_calls):
    shop = Shop()
    shop.activate(1, 10)
    codes = shop.codes(1, 5)
    ddb_calls.clear()
    for code in codes:
        scan(code)
    assert [c for c in ddb_calls if c[0] == "ssm"] == []


def test_given_a_code_of_a_version_removed_from_the_parameter_then_it_reads_unknown(ssm_keys):
    shop = Shop()
    old_code = shop.codes(1, 1)[0]
    ssm_keys.put_parameter(Name="/ocop/code-keys", Type="SecureString", Value=json.dumps({"2": NEW}), Overwrite=True)
    secrets.reset_caches()
    status, body = scan(old_code)
    assert status == 404 and body["verdict"] == "unknown"
    assert decode(secrets.parse_code_keys(json.dumps({"1": OLD})), old_code).serial == 1
