"""Onboarding: an admin registering a producer also creates its sign-in account.

Deployed, the account is a Cognito user in the ``producer`` group whose
``custom:producer_id`` is the new producer's id -- the claim every producer route
scopes by. Producers cannot change that attribute (the app client cannot write
``custom:*``). Without a user pool (the local stack), no account is made and the answer
says how to get a local token instead.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.core.errors import Conflict
from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import tracer


def _client() -> Any:
    import boto3

    return boto3.client("cognito-idp")


@tracer.capture_method(capture_response=False)
def create_producer_user(producer_id: str, email: str) -> dict[str, Any]:
    pool = get_settings().user_pool_id
    if not pool:
        return {
            "status": "local",
            "hint": f"no user pool here: python -m ocop_local token producer --producer-id {producer_id}",
        }
    client = _client()
    try:
        client.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:producer_id", "Value": producer_id},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except client.exceptions.UsernameExistsException:
        raise Conflict(
            f"An account with the email {email} already exists; use another email.",
            f"Đã có tài khoản dùng email {email}; hãy dùng email khác.",
        ) from None
    try:
        client.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="producer")
    except Exception:
        delete_user(email)
        raise
    return {"status": "invited", "username": email}


@tracer.capture_method(capture_response=False)
def delete_user(email: str) -> None:
    """Undo an account whose producer could not be stored (nothing half-made is left)."""
    pool = get_settings().user_pool_id
    if pool:
        _client().admin_delete_user(UserPoolId=pool, Username=email)
