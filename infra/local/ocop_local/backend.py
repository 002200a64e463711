"""The AWS side of the local stack: moto (or any DynamoDB endpoint), tables, secrets.

Tables are created from ``infra/template.yaml`` -- the same key schemas as deployed --
so a test or the local stack can never drift from what AWS will run.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .template import load_template, table_definitions

# Logical id in the template -> (environment variable, local table name)
TABLES = {
    "CatalogTable": ("CATALOG_TABLE", "ocop-catalog"),
    "StampsTable": ("STAMPS_TABLE", "ocop-stamps"),
    "ScansTable": ("SCANS_TABLE", "ocop-scans"),
    "IdempotencyTable": ("IDEMPOTENCY_TABLE", "ocop-idempotency"),
}
REGION = "ap-southeast-1"


def new_code_keys() -> str:
    return json.dumps({"1": secrets.token_hex(16)})


def local_secrets(state_dir: Path) -> dict[str, str]:
    """Code keys and salt for the local stack, made once and kept under .local/ (git-ignored)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    keys = state_dir / "code-keys.json"
    if not keys.exists():
        keys.write_text(new_code_keys(), encoding="utf-8")
        keys.chmod(0o600)
    salt = state_dir / "ip-hash-salt"
    if not salt.exists():
        salt.write_text(secrets.token_hex(16), encoding="utf-8")
        salt.chmod(0o600)
    return {"OCOP_CODE_KEYS_FILE": str(keys), "OCOP_IP_HASH_SALT": salt.read_text(encoding="utf-8").strip()}


def base_environment(public_base_url: str = "http://127.0.0.1:3000") -> dict[str, str]:
    env = {var: name for var, name in TABLES.values()}
    env.update(
        {
            "PUBLIC_BASE_URL": public_base_url,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION),
            "POWERTOOLS_SERVICE_NAME": "ocop-local",
            "POWERTOOLS_METRICS_NAMESPACE": "ocop-local",
            "POWERTOOLS_TRACE_DISABLED": "1",
        }
    )
    if "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ:
        # moto answers any credentials; real endpoints keep whatever the caller has.
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    return env


def create_tables(template: dict[str, Any] | None = None) -> list[str]:
    """Create every table of the template that does not exist yet; returns their names."""
    import boto3

    template = template or load_template()
    client = boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", REGION))
    existing = set(client.list_tables()["TableNames"])
    made = []
    for logical_id, kwargs in table_definitions(template).items():
        if logical_id not in TABLES:
            continue
        name = os.environ.get(TABLES[logical_id][0], TABLES[logical_id][1])
        if name not in existing:
            client.create_table(TableName=name, **kwargs)
        made.append(name)
    return made


@contextmanager
def moto_backend() -> Iterator[None]:
    """moto in-process, unless AWS_ENDPOINT_URL_DYNAMODB points at another DynamoDB."""
    if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        yield
        return
    from moto import mock_aws

    with mock_aws():
        yield


def apply_environment(env: dict[str, str]) -> None:
    os.environ.update(env)
    from ocop_stamps import secrets as domain_secrets
    from ocop_stamps import verification
    from ocop_stamps.models import bind_tables
    from ocop_stamps.settings import get_settings

    domain_secrets.reset_caches()
    verification.reset_cache()
    bind_tables(get_settings())
