"""Admin-only onboarding: registering a producer creates its sign-in account, scoped to it."""

from __future__ import annotations

import boto3
import pytest

from helpers.handlers import claims, invoke_json, sample, with_body
from ocop_stamps.core.settings import get_settings


@pytest.fixture
def pool(aws, monkeypatch: pytest.MonkeyPatch) -> str:
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="ocop-test",
        Schema=[{"Name": "producer_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool_id, GroupName="producer")
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    get_settings.cache_clear()
    return pool_id


def test_given_an_account_email_when_an_admin_registers_a_producer_then_its_user_is_in_group_producer(pool):
    status, body = invoke_json(
        "admin_api", with_body(sample("admin-create-producer"), account_email="hoan.hoa@example.vn")
    )
    assert status == 201 and body["account"] == {"status": "invited", "username": "hoan.hoa@example.vn"}
    idp = boto3.client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=pool, Username="hoan.hoa@example.vn")
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attrs["custom:producer_id"] == "hoan-hoa"
    groups = idp.admin_list_groups_for_user(UserPoolId=pool, Username="hoan.hoa@example.vn")["Groups"]
    assert [g["GroupName"] for g in groups] == ["producer"]


def test_given_a_taken_producer_id_then_no_account_is_created(pool):
    invoke_json("admin_api", sample("admin-create-producer"))
    status, _ = invoke_json("admin_api", with_body(sample("admin-create-producer"), account_email="x@example.vn"))
    assert status == 409
    users = boto3.client("cognito-idp").list_users(UserPoolId=pool)["Users"]
    assert users == []


def test_given_an_email_already_used_then_409_and_no_second_producer(pool):
    invoke_json("admin_api", with_body(sample("admin-create-producer"), account_email="same@example.vn"))
    status, body = invoke_json(
        "admin_api", with_body(sample("admin-create-producer"), producer_id="tam-hoa", account_email="same@example.vn")
    )
    assert status == 409 and "same@example.vn" in body["error"]["message"]
    event = with_body(sample("admin-create-product"), producer_id="tam-hoa")
    assert invoke_json("admin_api", event)[0] == 404  # the producer was not stored


def test_given_a_producer_token_then_onboarding_is_refused(pool):
    event = with_body(sample("admin-create-producer"), account_email="sneaky@example.vn")
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims("producer", "hoan-hoa")
    assert invoke_json("admin_api", event)[0] == 403
    assert boto3.client("cognito-idp").list_users(UserPoolId=pool)["Users"] == []


def test_given_no_user_pool_then_the_producer_is_registered_with_a_local_token_hint(aws, monkeypatch):
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    get_settings.cache_clear()
    status, body = invoke_json("admin_api", with_body(sample("admin-create-producer"), account_email="a@example.vn"))
    assert status == 201 and body["account"]["status"] == "local"
