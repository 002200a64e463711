"""The environment as a model: every function reads its configuration here, once.

A ``NamedTuple`` rather than pydantic or a dataclass on purpose: the public scan function
must start fast; pydantic alone costs ~110 ms of import there, and a frozen dataclass of
this size ~3 ms (it generates its methods with ``exec``), a named tuple a third of that.
The records on the scan path (``StampId``, ``ScanContext``, ``StampFacts``) are named
tuples for the same reason (issue 10).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

_ENV: dict[str, str | tuple[str, ...]] = {
    "catalog_table": "CATALOG_TABLE",
    "stamps_table": "STAMPS_TABLE",
    "scans_table": "SCANS_TABLE",
    "idempotency_table": "IDEMPOTENCY_TABLE",
    "public_base_url": "PUBLIC_BASE_URL",
    "code_keys_parameter": "CODE_KEYS_PARAMETER",
    "code_keys": "OCOP_CODE_KEYS",
    "code_keys_file": "OCOP_CODE_KEYS_FILE",
    "pin_keys_parameter": "PIN_KEYS_PARAMETER",
    "pin_keys": "OCOP_PIN_KEYS",
    "pin_keys_file": "OCOP_PIN_KEYS_FILE",
    "ip_hash_salt_parameter": "IP_HASH_SALT_PARAMETER",
    "ip_hash_salt": "OCOP_IP_HASH_SALT",
    "origin_secret_id": "ORIGIN_SECRET_ID",
    "origin_secret": "OCOP_ORIGIN_SECRET",
    "sms_secret_id": "SMS_SECRET_ID",
    "sms_secret": "OCOP_SMS_SECRET",
    "cache_seconds": "OCOP_CACHE_SECONDS",
    "csv_max_rows": "OCOP_CSV_MAX_ROWS",
    "unknown_limit": "OCOP_UNKNOWN_LIMIT",
    "unknown_window_seconds": "OCOP_UNKNOWN_WINDOW_SECONDS",
    "report_client_limit": "OCOP_REPORT_CLIENT_LIMIT",
    "report_code_limit": "OCOP_REPORT_CODE_LIMIT",
    "report_alert_client": "OCOP_REPORT_ALERT_CLIENT",
    "print_bucket": "PRINT_BUCKET",
    "print_queue_url": "PRINT_QUEUE_URL",
    "print_max_receives": "PRINT_MAX_RECEIVES",
    "print_chunk_labels": "OCOP_PRINT_CHUNK_LABELS",
    "s3_presign_endpoint": "OCOP_S3_PRESIGN_ENDPOINT",
    "alerts_table": "ALERTS_TABLE",
    "alerts_topic_arn": "ALERTS_TOPIC_ARN",
    "console_base_url": "CONSOLE_BASE_URL",
    "scan_retention_days": "OCOP_SCAN_RETENTION_DAYS",
    "ip_hash_salt_version": "OCOP_IP_HASH_SALT_VERSION",
    "scan_fallback_queue_url": "SCAN_FALLBACK_QUEUE_URL",
    "user_pool_id": "USER_POOL_ID",
    "console_url": "CONSOLE_URL",
    "console_auth_domain": "CONSOLE_AUTH_DOMAIN",
    "console_client_id": "CONSOLE_CLIENT_ID",
    "console_local_users": "OCOP_CONSOLE_LOCAL_USERS",
    "aws_region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "dynamodb_endpoint": "AWS_ENDPOINT_URL_DYNAMODB",
    "repeat_24h": "OCOP_REPEAT_24H",
    "repeat_7d": "OCOP_REPEAT_7D",
    "travel_minutes": "OCOP_TRAVEL_MINUTES",
    "burst_client": "OCOP_BURST_CLIENT",
    "burst_place": "OCOP_BURST_PLACE",
    "burst_window_seconds": "OCOP_BURST_WINDOW_SECONDS",
    "service_name": "POWERTOOLS_SERVICE_NAME",
    "metrics_namespace": "POWERTOOLS_METRICS_NAMESPACE",
    "metrics_disabled": "POWERTOOLS_METRICS_DISABLED",
    "trace_disabled": "POWERTOOLS_TRACE_DISABLED",
    "lambda_task_root": "LAMBDA_TASK_ROOT",
    "sam_local": "AWS_SAM_LOCAL",
}
_TRUE = ("1", "true", "t", "yes", "y", "on")  # as Powertools reads its own switches


class Settings(NamedTuple):
    """This deployment's configuration (defaults: the local stack's)."""

    catalog_table: str = "ocop-catalog"
    stamps_table: str = "ocop-stamps"
    scans_table: str = "ocop-scans"
    idempotency_table: str = "ocop-idempotency"
    public_base_url: str = ""  # empty: the API's own domain (see labels.public_base_url)
    # Where the code keys live: an SSM SecureString when deployed, a JSON string or a
    # file locally. Never in the repository.
    code_keys_parameter: str = ""
    code_keys: str = ""
    code_keys_file: str = ""
    # The scratch-off PIN's own secret (issue 14, docs/PIN.md), held like the code keys; only
    # the functions that check or print PINs are given it.
    pin_keys_parameter: str = ""
    pin_keys: str = ""
    pin_keys_file: str = ""
    ip_hash_salt_parameter: str = ""
    ip_hash_salt: str = ""
    # The value CloudFront sends as X-Origin-Verify (issue 11): a Secrets Manager secret when
    # deployed, the text itself locally ({"current": ..., "previous": ...} or a bare value).
    origin_secret_id: str = ""
    origin_secret: str = ""
    # What the SMS gateway sends as X-Gateway-Secret (issue 14, docs/SMS.md): a Secrets Manager
    # secret when deployed, the text itself locally (same JSON shape as the origin secret).
    sms_secret_id: str = ""
    sms_secret: str = ""
    cache_seconds: float = 60.0
    # 50,000 CSV rows are ~4 MB: inside Lambda's 6 MB response limit with room to spare.
    csv_max_rows: int = 50_000
    # Unknown-code lookups one client may make per window before answers say "slow down"
    # (429). A person mistyping a label makes a handful; a script guessing makes thousands.
    unknown_limit: int = 30
    unknown_window_seconds: int = 600
    # Consumer reports (issue 13, docs/LIMITS.md): per client hash per hour, per code per
    # Vietnamese day. A shopper reports one or two fakes; 60 from one address is a script.
    report_client_limit: int = 5
    report_code_limit: int = 20
    # print files (issue 3): the private bucket, the label-jobs queue, its maxReceiveCount
    # (the worker marks a job failed on a chunk's last try), labels per chunk, and locally
    # the address presigned download links point at (the local server serves them).
    print_bucket: str = ""
    print_queue_url: str = ""
    print_max_receives: int = 3
    print_chunk_labels: int = 5_000
    s3_presign_endpoint: str = ""
    # inspectors (issue 6): alerts store and topic, where alert links point, how long scan
    # records are kept as evidence (DynamoDB TTL on expires_at), which salt hashed addresses
    alerts_table: str = "ocop-alerts"
    alerts_topic_arn: str = ""
    console_base_url: str = ""
    scan_retention_days: int = 1827
    ip_hash_salt_version: str = "1"
    # where a scan's write goes when DynamoDB refuses it (issue 7), and the Cognito pool
    # onboarding creates producers' sign-ins in (empty locally: no accounts are made)
    scan_fallback_queue_url: str = ""
    user_pool_id: str = ""
    # the web console (issue 15, docs/CONSOLE.md): its own address (sign-in callback =
    # {console_url}/callback), the Cognito hosted domain (a prefix, or a full URL) and app
    # client of its hosted sign-in; locally, the demo users' claims as JSON (never deployed)
    console_url: str = ""
    console_auth_domain: str = ""
    console_client_id: str = ""
    console_local_users: str = ""
    # the region, and another DynamoDB-compatible server if one is named (DESIGN.md)
    aws_region: str = "ap-southeast-1"
    dynamodb_endpoint: str = ""
    # the anomaly detector's thresholds (issue 6; README "Alerts" gives the reasons); repeats
    # count distinct scanners, not page loads (issue 11, docs/COUNTING.md)
    repeat_24h: int = 3
    repeat_7d: int = 5  # more than this many in 7 days; a product's own repeat_threshold wins
    travel_minutes: int = 60
    burst_client: int = 20
    burst_place: int = 100
    burst_window_seconds: int = 600
    # a client's reports on issued codes open one alert per code up to this many a day,
    # then one alert for the client (reports on codes never issued: one per province a day)
    report_alert_client: int = 3
    # observability (issue 10): the template names each function's service (public_scan,
    # ...); logs, traces and metrics of handler and domain alike go under it.
    service_name: str = "ocop_stamps"
    metrics_namespace: str = "OcopStamps"
    metrics_disabled: bool = False
    trace_disabled: bool = False
    lambda_task_root: str = ""  # set by the Lambda runtime only: where X-Ray is
    sam_local: bool = False  # `sam local` sets AWS_SAM_LOCAL: a Lambda emulator, no X-Ray

    @property
    def tracing(self) -> bool:
        """X-Ray tracing: in Lambda (not under ``sam local``) unless POWERTOOLS_TRACE_DISABLED."""
        return bool(self.lambda_task_root) and not self.sam_local and not self.trace_disabled

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        for field, default in cls._field_defaults.items():  # every field has one, of its type
            names = _ENV[field]
            names = (names,) if isinstance(names, str) else names
            name, raw = next(((n, env[n]) for n in names if env.get(n)), ("", ""))
            if not raw:
                continue
            if isinstance(default, bool):  # bool("false") would be True
                values[field] = raw.strip().lower() in _TRUE
                continue
            try:
                values[field] = type(default)(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number") from None
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.cache_seconds < 0 or settings.csv_max_rows < 1:
            raise ValueError("OCOP_CACHE_SECONDS must be >= 0 and OCOP_CSV_MAX_ROWS >= 1")
        return cls(**{**values, "public_base_url": settings.public_base_url.rstrip("/")})  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
