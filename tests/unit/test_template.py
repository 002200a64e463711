"""The SAM template (infra/template.yaml), read as data: routes, authorization, runtime,
least privilege, table key schemas. That cfn-lint, SAM and moto accept it:
tests/integration/test_template.py."""

from __future__ import annotations

import copy
import fnmatch
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from helpers.template import EXPECTED_TABLES, ROOT, TEMPLATE_DIR, TEMPLATE_PATH, cfn
from ocop_stamps.scanning import edge

PUBLIC_SCAN = "PublicScanFunction"
PRODUCER_API = "ProducerApiFunction"
ADMIN_API = "AdminApiFunction"
INSPECTOR_API = "InspectorApiFunction"
CONSOLE = "ConsoleFunction"  # the web console (issue 15): its own session, no JWT authorizer
LABEL_WORKER = "LabelWorkerFunction"  # not behind the API: fed by the label-jobs queue
ANOMALY_DETECTOR = "AnomalyDetectorFunction"  # not behind the API: fed by the Scans table's stream
SMS_INBOUND = "SmsInboundFunction"  # the SMS gateway's webhook (issue 14): public, its own secret
API_FUNCTIONS = (PUBLIC_SCAN, PRODUCER_API, ADMIN_API, INSPECTOR_API, SMS_INBOUND, CONSOLE)
SCAN_LOG_DRAIN = "ScanLogDrainFunction"  # not behind the API: fed by the scan fallback queue
FUNCTIONS = (*API_FUNCTIONS, LABEL_WORKER, ANOMALY_DETECTOR, SCAN_LOG_DRAIN)

EXPECTED_ROUTES = {
    "GET /v/{code}": PUBLIC_SCAN,
    "ANY /v/{code}": PUBLIC_SCAN,  # HEAD, OPTIONS (issue 11)
    "ANY /V/{code}": PUBLIC_SCAN,  # upper-case QR
    "ANY /v/{path+}": PUBLIC_SCAN,  # trailing slash
    "ANY /V/{path+}": PUBLIC_SCAN,
    "GET /v": PUBLIC_SCAN,
    "GET /v/{code}/report": PUBLIC_SCAN,
    "POST /v/{code}/report": PUBLIC_SCAN,
    "POST /v/{code}/pin": PUBLIC_SCAN,
    "ANY /01/{dl+}": PUBLIC_SCAN,
    "GET /.well-known/gs1resolver": PUBLIC_SCAN,
    "ANY $default": PUBLIC_SCAN,  # every other address: the API's 404 in its error shape
    "POST /producers": ADMIN_API,
    "POST /products": ADMIN_API,
    "POST /lots": PRODUCER_API,
    "POST /batches": PRODUCER_API,
    "GET /batches/{batch_id}": PRODUCER_API,
    "GET /batches/{batch_id}/codes.csv": PRODUCER_API,
    "POST /batches/{batch_id}/activations": PRODUCER_API,
    "POST /batches/{batch_id}/print-files": PRODUCER_API,
    "POST /batches/{batch_id}/pin-layer": PRODUCER_API,
    "GET /print-jobs/{job_id}": PRODUCER_API,
    "POST /batches/{batch_id}/voids": PRODUCER_API,
    "GET /batches/{batch_id}/epcis": PRODUCER_API,
    "GET /lots/{lot_id}": PRODUCER_API,
    "POST /lots/{lot_id}/recall": PRODUCER_API,
    "POST /lots/{lot_id}/recall/lift": PRODUCER_API,
    "GET /lots/{lot_id}/epcis": PRODUCER_API,
    "GET /lots/{lot_id}/trace": PRODUCER_API,
    "POST /products/{product_id}/ocop-rating": ADMIN_API,
    "GET /scans": INSPECTOR_API,
    "GET /scans.csv": INSPECTOR_API,
    "GET /alerts": INSPECTOR_API,
    "GET /alerts/{alert_id}": INSPECTOR_API,
    "POST /alerts/{alert_id}/status": INSPECTOR_API,
    "POST /field-checks": INSPECTOR_API,
    "GET /summary": INSPECTOR_API,
    "GET /summary/chart.svg": INSPECTOR_API,
    "GET /docs/producer": PRODUCER_API,
    "GET /docs/admin": ADMIN_API,
    "GET /docs/inspector": INSPECTOR_API,
    "POST /sms/inbound": SMS_INBOUND,
    "GET /docs/sms": SMS_INBOUND,
    "ANY /console": CONSOLE,
    "ANY /console/{proxy+}": CONSOLE,
}

CODE_KEYS_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${CodeKeysParameterName}"
PIN_KEYS_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${PinKeysParameterName}"
SALT_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${IpHashSaltParameterName}"
CATALOG_RW = ("GetItem", "PutItem", "UpdateItem", "Query", "ConditionCheckItem")

# Every (action, resource) a function may use; resources by logical id or Sub string.
EXPECTED_GRANTS = {
    PUBLIC_SCAN: {
        ("dynamodb:GetItem", "CatalogTable"),
        ("dynamodb:Query", "${CatalogTable.Arn}/index/by_gtin"),  # the Digital Link walk-up from /01/{gtin}
        ("sqs:SendMessage", "ScanFallbackQueue"),  # a scan DynamoDB refused is queued, never lost
        ("dynamodb:UpdateItem", "StampsTable"),
        ("dynamodb:GetItem", "StampsTable"),  # a re-shown page reads the stamp's current state (issue 11)
        ("dynamodb:PutItem", "ScansTable"),
        ("ssm:GetParameter", CODE_KEYS_ARN),
        ("ssm:GetParameter", SALT_ARN),
        ("secretsmanager:GetSecretValue", "OriginVerifySecret"),  # trusts CloudFront's headers only with it
        ("ssm:GetParameter", PIN_KEYS_ARN),  # checks scratch-off PINs (issue 14)
        ("dynamodb:PutItem", "CatalogTable"),  # a claim's EPCIS event, in the claim's transaction (issue 14)
    },
    SMS_INBOUND: {  # a scan's reads and writes, the sender's unknown-code limit, once per message id
        ("dynamodb:GetItem", "CatalogTable"),
        ("dynamodb:UpdateItem", "StampsTable"),
        ("dynamodb:PutItem", "ScansTable"),
        ("sqs:SendMessage", "ScanFallbackQueue"),
        *{(f"dynamodb:{a}", "IdempotencyTable") for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
        ("ssm:GetParameter", CODE_KEYS_ARN),
        ("ssm:GetParameter", SALT_ARN),
        ("secretsmanager:GetSecretValue", "SmsGatewaySecret"),  # the gateway's shared secret, no other
        ("ssm:GetParameter", PIN_KEYS_ARN),  # a texted scratch-off PIN (issue 14)
        ("dynamodb:PutItem", "CatalogTable"),  # a claim's EPCIS event, in the claim's transaction (issue 14)
    },
    PRODUCER_API: {
        *{(f"dynamodb:{a}", r) for a in CATALOG_RW for r in ("CatalogTable", "${CatalogTable.Arn}/index/*")},
        *{(f"dynamodb:{a}", "IdempotencyTable") for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
        ("ssm:GetParameter", CODE_KEYS_ARN),
        ("ssm:GetParameter", PIN_KEYS_ARN),  # the owner's PIN-layer download (issue 14)
        ("dynamodb:PutItem", "ScansTable"),  # each PIN-layer download, a line inspectors read (issue 14)
        ("sqs:SendMessage", "LabelJobsQueue"),
        ("s3:GetObject", "${PrintFilesBucket.Arn}/print-jobs/*"),
    },
    SCAN_LOG_DRAIN: {
        ("dynamodb:UpdateItem", "StampsTable"),
        ("dynamodb:PutItem", "ScansTable"),
        ("dynamodb:GetItem", "CatalogTable"),  # a pending scan judged, a report enriched, on replay
    },
    LABEL_WORKER: {
        ("dynamodb:GetItem", "CatalogTable"),
        ("dynamodb:UpdateItem", "CatalogTable"),
        ("ssm:GetParameter", CODE_KEYS_ARN),
        *{
            (f"s3:{a}", "${PrintFilesBucket.Arn}/print-jobs/*")
            for a in ("PutObject", "GetObject", "AbortMultipartUpload")
        },
    },
    ADMIN_API: {
        *{(f"dynamodb:{a}", r) for a in CATALOG_RW for r in ("CatalogTable", "${CatalogTable.Arn}/index/*")},
        # onboarding a producer creates its sign-in account in this stack's user pool only
        *{(f"cognito-idp:{a}", "UserPool") for a in ("AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser")},
    },
    INSPECTOR_API: {
        ("dynamodb:Query", "ScansTable"),
        ("dynamodb:Query", "${ScansTable.Arn}/index/*"),
        ("dynamodb:GetItem", "CatalogTable"),
        ("dynamodb:PutItem", "CatalogTable"),  # field checks: an EPCIS event next to the lot
        ("ssm:GetParameter", CODE_KEYS_ARN),  # field checks decode codes; cursor keys derive from them
        *{
            (f"dynamodb:{a}", r)
            for a in ("GetItem", "BatchGetItem", "UpdateItem", "Query")
            for r in ("AlertsTable", "${AlertsTable.Arn}/index/*")
        },
    },
    CONSOLE: {
        *{(f"dynamodb:{a}", "CatalogTable") for a in ("GetItem", "PutItem", "UpdateItem", "ConditionCheckItem")},
        ("dynamodb:Query", "${CatalogTable.Arn}/index/gsi1"),  # a producer's products, lots, batches
        ("dynamodb:Query", "${CatalogTable.Arn}/index/by_gtin"),  # the office's products: a GTIN's holder
        ("dynamodb:GetItem", "StampsTable"),  # a field check: each scanned stamp as it stands
        # the office's onboarding creates the producer's sign-in in this stack's pool only
        *{(f"cognito-idp:{a}", "UserPool") for a in ("AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser")},
        *{(f"dynamodb:{a}", "IdempotencyTable") for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
        ("dynamodb:BatchGetItem", "AlertsTable"),  # the batches' scan counters
        ("dynamodb:BatchGetItem", "CatalogTable"),  # every page: was the session signed out?
        # the inspector's pages: the verification log by its indexes, the alert queue
        ("dynamodb:Query", "ScansTable"),
        ("dynamodb:Query", "${ScansTable.Arn}/index/*"),
        *{
            (f"dynamodb:{a}", r)
            for a in ("GetItem", "UpdateItem", "Query")
            for r in ("AlertsTable", "${AlertsTable.Arn}/index/*")
        },
        ("ssm:GetParameter", CODE_KEYS_ARN),  # batches carry the key version; cookie keys derive from them
        ("sqs:SendMessage", "LabelJobsQueue"),  # a print file of more than 2,000 labels: a job
        ("s3:GetObject", "${PrintFilesBucket.Arn}/print-jobs/*"),  # a finished job's presigned link
    },
    ANOMALY_DETECTOR: {
        ("dynamodb:Query", "ScansTable"),
        ("dynamodb:GetItem", "CatalogTable"),
        *{
            (f"dynamodb:{a}", "AlertsTable")
            for a in ("GetItem", "BatchGetItem", "PutItem", "UpdateItem", "ConditionCheckItem")
        },
        ("sns:Publish", "AlertsTopic"),
        # the topic is encrypted with the stack's own key (so CloudWatch alarms can publish too)
        ("kms:GenerateDataKey", "AlertsTopicKey"),
        ("kms:Decrypt", "AlertsTopicKey"),
    },
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load_template(TEMPLATE_PATH)


@pytest.fixture(scope="module")
def routes(template: dict[str, Any]) -> list[cfn.Route]:
    return cfn.http_routes(template)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# --- the loader -----------------------------------------------------------------------------
def test_given_short_tags_when_loaded_then_they_read_as_the_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  A:\n"
        "    Type: X\n"
        "    Properties:\n"
        "      Ref: !Ref B\n"
        "      Att: !GetAtt B.Arn\n"
        "      Sub: !Sub [ '${x}-1', { x: !Ref C } ]\n"
        "      If: !If [ Cond, !Equals [ a, b ], !Ref AWS::NoValue ]\n"
        "      Date: 2024-01-31\n"
    )

    props = cfn.load_template(path)["Resources"]["A"]["Properties"]

    assert props == {
        "Ref": {"Ref": "B"},
        "Att": {"Fn::GetAtt": ["B", "Arn"]},
        "Sub": {"Fn::Sub": ["${x}-1", {"x": {"Ref": "C"}}]},
        "If": {"Fn::If": ["Cond", {"Fn::Equals": ["a", "b"]}, {"Ref": "AWS::NoValue"}]},
        "Date": "2024-01-31",
    }


# --- routes and authorization ------------------------------------------------------------
def test_given_the_template_when_routes_are_read_then_each_expected_route_exists_once_on_its_function(
    routes: list[cfn.Route],
) -> None:
    counts = Counter(route.route_key for route in routes)
    served_by = {route.route_key: route.function_id for route in routes}

    assert {key: counts[key] for key in EXPECTED_ROUTES} == dict.fromkeys(EXPECTED_ROUTES, 1)
    assert {key: served_by[key] for key in EXPECTED_ROUTES} == EXPECTED_ROUTES
    assert [key for key, n in counts.items() if n > 1] == []


# The consumer's pages and the GS1 resolver: public, and all on the public function.
CONSUMER_ROUTES = [
    "GET /v/{code}",
    "ANY /v/{code}",
    "ANY /V/{code}",
    "ANY /v/{path+}",
    "ANY /V/{path+}",
    "GET /v",
    "GET /v/{code}/report",
    "POST /v/{code}/report",
    "POST /v/{code}/pin",
]
RESOLVER_ROUTES = ["ANY /01/{dl+}", "GET /.well-known/gs1resolver"]


def test_given_the_routes_when_auth_is_read_then_only_the_consumer_pages_resolver_and_docs_are_public(
    routes: list[cfn.Route],
) -> None:
    public = sorted(route.route_key for route in routes if not route.authorized)
    should_be_public = sorted(
        route.route_key
        for route in routes
        if route.function_id in (PUBLIC_SCAN, SMS_INBOUND, CONSOLE) or route.path.startswith("/docs/")
    )

    assert public == should_be_public
    assert public == sorted(
        [
            *CONSUMER_ROUTES,
            *RESOLVER_ROUTES,
            "ANY $default",  # every address no route names: the public function's 404
            *("GET /docs/producer", "GET /docs/admin", "GET /docs/inspector"),
            *("POST /sms/inbound", "GET /docs/sms"),  # the gateway's shared secret, checked by the function (issue 14)
            "ANY /console",  # the console checks its own signed session (docs/CONSOLE.md)
            "ANY /console/{proxy+}",
        ]
    )


def test_given_the_public_routes_when_throttling_is_read_then_each_has_its_own_limit(
    template: dict[str, Any],
) -> None:
    settings = template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]

    for key in [*CONSUMER_ROUTES, *RESOLVER_ROUTES, "POST /sms/inbound", "$default"]:
        assert settings[key]["ThrottlingRateLimit"] <= settings[key]["ThrottlingBurstLimit"], key
    # addresses no route names (probes, typos): a 404 each, limited far below the scan page
    assert settings["$default"]["ThrottlingRateLimit"] < settings["GET /v"]["ThrottlingRateLimit"]
    # reports write to the log: far below the scan page's limit
    assert settings["POST /v/{code}/report"]["ThrottlingRateLimit"] < settings["GET /v/{code}"]["ThrottlingRateLimit"]
    assert settings["POST /v/{code}/pin"]["ThrottlingRateLimit"] < settings["GET /v/{code}"]["ThrottlingRateLimit"]


def test_given_the_api_when_its_authorizer_is_read_then_it_is_the_cognito_jwt_authorizer_everywhere(
    template: dict[str, Any],
) -> None:
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    jwt = auth["Authorizers"]["CognitoJwt"]
    explicit = {
        event["Properties"].get("Auth", {}).get("Authorizer")
        for function in _resources(template, "AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }

    assert auth["DefaultAuthorizer"] == "CognitoJwt"
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert jwt["JwtConfiguration"] == {
        "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
        "audience": [{"Ref": "UserPoolClient"}],
    }
    assert explicit <= {None, "NONE", "CognitoJwt"}


def test_given_the_user_pool_when_read_then_only_admins_create_users_and_tenancy_attributes_exist(
    template: dict[str, Any],
) -> None:
    pool = template["Resources"]["UserPool"]["Properties"]
    client = template["Resources"]["UserPoolClient"]["Properties"]
    groups = {g["Properties"]["GroupName"] for g in _resources(template, "AWS::Cognito::UserPoolGroup").values()}
    custom = {a["Name"]: a for a in pool["Schema"]}

    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    for name in ("producer_id", "provinces"):
        assert (custom[name]["AttributeDataType"], custom[name]["Mutable"]) == ("String", True)
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    # a producer must not be able to rewrite its own producer_id or an inspector its provinces
    assert [a for a in client["WriteAttributes"] if a.startswith("custom:")] == []
    assert groups == {"admin", "producer", "inspector"}


# --- functions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_given_a_function_when_its_runtime_is_read_then_python_3_12_or_newer_on_the_domain_layer(
    template: dict[str, Any], function_id: str
) -> None:
    props = cfn.function_properties(template, function_id)
    match = re.fullmatch(r"python3\.(\d+)", props["Runtime"])

    assert match and int(match.group(1)) >= 12, props["Runtime"]
    assert {"Ref": "DomainLayer"} in props["Layers"]
    assert props["Handler"] == "app.lambda_handler"
    assert props["Architectures"] == ["arm64"]
    if function_id in API_FUNCTIONS:
        assert props["Timeout"] <= 29  # the HTTP API gives up on an integration after 30 s
    else:  # queue workers: far from Lambda's 15 minutes
        assert props["Timeout"] <= 300


def test_given_the_functions_when_read_then_exactly_the_four_audiences_and_the_label_worker_exist(
    template: dict[str, Any],
) -> None:
    assert set(_resources(template, "AWS::Serverless::Function")) == set(FUNCTIONS)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_given_a_function_when_its_code_uri_is_resolved_then_the_folder_has_an_app_module(
    template: dict[str, Any], function_id: str
) -> None:
    code_uri = template["Resources"][function_id]["Properties"]["CodeUri"]
    folder = (TEMPLATE_DIR / code_uri).resolve()

    assert folder.parent == ROOT / "functions"
    assert (folder / "app.py").is_file(), f"{folder}/app.py is missing"


def test_given_the_domain_layer_when_read_then_its_makefile_builds_it_for_arm64_without_boto3(
    template: dict[str, Any],
) -> None:
    layer = template["Resources"]["DomainLayer"]
    folder = (TEMPLATE_DIR / layer["Properties"]["ContentUri"]).resolve()
    requirements = {
        re.split(r"[\[<>=!~; ]", line.strip(), maxsplit=1)[0].lower()
        for line in (folder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }

    assert layer["Metadata"]["BuildMethod"] == "makefile"  # from its lock, no dependencies (issue 16)
    assert "build-DomainLayer:" in (folder / "Makefile").read_text()
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert (folder / "ocop_stamps" / "__init__.py").is_file()
    # print files' dependencies are in the print layer (issue 10; tests/integration/test_layers.py)
    assert requirements == {"aws-lambda-powertools", "pydantic", "pynamodb", "cryptography", "vietnam-provinces"}


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_given_a_function_when_its_environment_is_resolved_then_it_names_tables_and_its_service(
    template: dict[str, Any], routes: list[cfn.Route], function_id: str
) -> None:
    env = cfn.function_environment(template, function_id)
    code_dir = Path(template["Resources"][function_id]["Properties"]["CodeUri"]).name

    assert {k: env[k] for k in ("CATALOG_TABLE", "STAMPS_TABLE", "SCANS_TABLE")} == {
        "CATALOG_TABLE": "CatalogTable",
        "STAMPS_TABLE": "StampsTable",
        "SCANS_TABLE": "ScansTable",
    }
    assert env["CODE_KEYS_PARAMETER"] == "/ocop/code-keys"
    assert env["PUBLIC_BASE_URL"] == ""
    assert env["POWERTOOLS_SERVICE_NAME"] == code_dir
    assert env["POWERTOOLS_LOG_LEVEL"] == env["LOG_LEVEL"] == "INFO"
    assert ("IP_HASH_SALT_PARAMETER" in env) == (function_id in (PUBLIC_SCAN, SMS_INBOUND))
    assert ("ORIGIN_SECRET_ID" in env) == (function_id == PUBLIC_SCAN)
    assert ("SMS_SECRET_ID" in env) == (function_id == SMS_INBOUND)
    assert ("IDEMPOTENCY_TABLE" in env) == (function_id in (PRODUCER_API, SMS_INBOUND, CONSOLE))
    # the local stack's demo users never reach a deployed console
    assert "OCOP_CONSOLE_LOCAL_USERS" not in env


def _refers_to(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id or logical_id in str(value.get("Fn::GetAtt", "")):
            return True
        if isinstance(sub := value.get("Fn::Sub"), str | list) and f"${{{logical_id}" in str(sub):
            return True
        return any(_refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, logical_id) for v in value)
    return False


def test_given_the_functions_when_read_then_none_refers_to_the_api_outside_its_events(
    template: dict[str, Any],
) -> None:
    # The generated API's body names every function's ARN: a function that names the API
    # back (say, its URL in the environment) is a circular dependency CloudFormation refuses.
    offenders = [
        function_id
        for function_id in FUNCTIONS
        if _refers_to(
            {k: v for k, v in cfn.function_properties(template, function_id).items() if k != "Events"}, "HttpApi"
        )
    ]

    assert offenders == []


# --- least privilege ---------------------------------------------------------------------------
def _statements(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    policies = template["Resources"][function_id]["Properties"].get("Policies", [])
    assert all(isinstance(p, dict) and set(p) <= {"Version", "Statement"} for p in policies), (
        f"{function_id}: only explicit Statement policies, no managed or SAM template policies"
    )
    return [statement for policy in policies for statement in policy["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_label(resource: Any) -> str:
    if isinstance(resource, dict):
        if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1:] == ["Arn"]:
            return resource["Fn::GetAtt"][0]
        if isinstance(resource.get("Fn::Sub"), str):
            return resource["Fn::Sub"]
        if "Ref" in resource:
            return resource["Ref"]
    return str(resource)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_given_a_function_policy_when_read_then_no_wildcard_action_or_resource(
    template: dict[str, Any], function_id: str
) -> None:
    statements = _statements(template, function_id)
    wide = [
        statement
        for statement in statements
        if statement.get("Effect") != "Allow"
        or "NotAction" in statement
        or "NotResource" in statement
        or any(action == "*" or action.endswith(":*") for action in _as_list(statement["Action"]))
        or any(resource == "*" for resource in _as_list(statement["Resource"]))
    ]

    assert statements
    assert wide == []


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_given_a_function_policy_when_read_then_it_grants_exactly_what_its_job_needs(
    template: dict[str, Any], function_id: str
) -> None:
    grants = {
        (action, _resource_label(resource))
        for statement in _statements(template, function_id)
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }

    assert grants == EXPECTED_GRANTS[function_id]


# --- tables ------------------------------------------------------------------------------------
def test_given_the_template_when_table_definitions_are_read_then_key_schemas_are_exactly_the_design(
    template: dict[str, Any],
) -> None:
    definitions = cfn.table_definitions(template)
    shapes = {
        table: {k: v for k, v in d.items() if k in ("KeySchema", "GlobalSecondaryIndexes", "StreamSpecification")}
        for table, d in definitions.items()
    }

    assert shapes == EXPECTED_TABLES
    for table, definition in definitions.items():
        keyed = {k["AttributeName"] for k in definition["KeySchema"]} | {
            k["AttributeName"] for index in definition.get("GlobalSecondaryIndexes", []) for k in index["KeySchema"]
        }
        assert definition["AttributeDefinitions"] == [
            {"AttributeName": a["AttributeName"], "AttributeType": "S"} for a in definition["AttributeDefinitions"]
        ], table
        assert {a["AttributeName"] for a in definition["AttributeDefinitions"]} == keyed, table
        assert definition["BillingMode"] == "PAY_PER_REQUEST"


def test_given_the_tables_when_read_then_data_is_encrypted_retained_and_recoverable(
    template: dict[str, Any],
) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    kept = ("CatalogTable", "StampsTable", "ScansTable", "AlertsTable")

    assert all(t["Properties"]["BillingMode"] == "PAY_PER_REQUEST" for t in tables.values())
    assert all(t["Properties"]["SSESpecification"] == {"SSEEnabled": True} for t in tables.values())
    assert [(t, tables[t]["DeletionPolicy"], tables[t]["UpdateReplacePolicy"]) for t in kept] == [
        (t, "Retain", "Retain") for t in kept
    ]
    for table in ("CatalogTable", "ScansTable"):
        assert tables[table]["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    ttl = cfn.time_to_live_attributes(template)
    assert ttl["IdempotencyTable"] == "expiration"
    assert ttl["StampsTable"] == "expires_at"  # only the unknown-lookup rate counters carry it
    assert ttl["ScansTable"] == "expires_at"  # evidence retention (ScanRetentionDays, 5 years by default)
    assert ttl["AlertsTable"] == "expires_at"  # the detector's markers and burst counters only


# --- outputs -----------------------------------------------------------------------------------
def test_given_the_template_when_outputs_are_read_then_api_url_pool_client_and_tables_are_there(
    template: dict[str, Any],
) -> None:
    assert {
        "ApiUrl",
        "UserPoolId",
        "UserPoolClientId",
        "CatalogTableName",
        "StampsTableName",
        "ScansTableName",
        "IdempotencyTableName",
    } <= set(template["Outputs"])


# --- the edge (issue 11) -----------------------------------------------------------------------
# AWS managed cache policies (the same ids in every account)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # Managed-CachingOptimized
DOMAIN = ROOT / "layers" / "domain" / "ocop_stamps"


def _distribution(template: dict[str, Any]) -> dict[str, Any]:
    (distribution,) = _resources(template, "AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def _behaviour_for(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The cache behaviour CloudFront applies to a path: the first PathPattern that matches
    (``*`` spans ``/``, as fnmatch's does), else the default one."""
    for behaviour in config.get("CacheBehaviors", []):
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return behaviour
    return config["DefaultCacheBehavior"]


def _forwarded(template: dict[str, Any], behaviour: dict[str, Any]) -> dict[str, Any]:
    ref = behaviour["OriginRequestPolicyId"]["Ref"]
    return template["Resources"][ref]["Properties"]["OriginRequestPolicyConfig"]


def _example_path(route_path: str) -> str:
    """/v/{code} -> /v/X; /01/{dl+} -> /01/X/21/X."""
    return re.sub(r"\{[^}]+\+\}", "X/21/X", re.sub(r"\{[^}+]+\}", "X", route_path))


def test_given_the_distribution_when_read_then_it_sends_the_origin_secret_from_secrets_manager_to_the_http_api(
    template: dict[str, Any],
) -> None:
    config = _distribution(template)
    (origin,) = config["Origins"]
    secret = template["Resources"]["OriginVerifySecret"]

    assert origin["DomainName"] == {"Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # the value is a dynamic reference resolved at deploy time, never a literal in the repository
    assert origin["OriginCustomHeaders"] == [
        {
            "HeaderName": "X-Origin-Verify",
            "HeaderValue": {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:current}}"},
        }
    ]
    assert origin["OriginCustomHeaders"][0]["HeaderName"].lower() == edge.ORIGIN_HEADER
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "SecretString" not in secret["Properties"]  # generated by Secrets Manager
    assert secret["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "current"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert cfn.function_environment(template, PUBLIC_SCAN)["ORIGIN_SECRET_ID"] == "OriginVerifySecret"
    # changing OriginSecretRotation changes the distribution, so an update re-reads the secret
    assert "${OriginSecretRotation}" in config["Comment"]["Fn::Sub"]


def test_given_each_public_route_when_its_cache_behaviour_is_read_then_no_verdict_is_cached_and_places_are_forwarded(
    template: dict[str, Any], routes: list[cfn.Route]
) -> None:
    config = _distribution(template)
    public = [route for route in routes if route.function_id == PUBLIC_SCAN]
    checked = []
    for route in public:
        behaviour = _behaviour_for(config, _example_path(route.path))
        policy = _forwarded(template, behaviour)
        headers = {h.lower() for h in policy["HeadersConfig"]["Headers"]}
        methods = ["GET", "HEAD", "OPTIONS"] if route.method == "ANY" else [route.method]
        assert set(methods) <= set(behaviour["AllowedMethods"]), route.route_key
        assert {"cloudfront-viewer-country", "cloudfront-viewer-country-region"} <= headers, route.route_key
        assert policy["QueryStringsConfig"]["QueryStringBehavior"] == "all", route.route_key  # ?code=, ?view=, linkType
        if not route.path.startswith("/.well-known/"):  # each scan, page and report reaches the function
            assert behaviour["CachePolicyId"] == CACHING_DISABLED, route.route_key
            checked.append(route.route_key)
    assert {"GET /v/{code}", "GET /v", "ANY /01/{dl+}", "POST /v/{code}/report"} <= set(checked)
    # the one cached path is the resolver description, which the function marks public for a day
    cached = [b["PathPattern"] for b in config.get("CacheBehaviors", []) if b["CachePolicyId"] != CACHING_DISABLED]
    assert cached == ["/.well-known/*"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED


def test_given_the_code_when_it_reads_a_cloudfront_header_then_the_distribution_forwards_it_and_not_host(
    template: dict[str, Any],
) -> None:
    read = {
        name
        for path in DOMAIN.rglob("*.py")
        for name in re.findall(r"[\"'](cloudfront-[a-z-]+)[\"']", path.read_text(encoding="utf-8"))
        if name != edge.EDGE_PREFIX
    }
    policies = {
        logical_id: p["Properties"]["OriginRequestPolicyConfig"]
        for logical_id, p in _resources(template, "AWS::CloudFront::OriginRequestPolicy").items()
    }

    assert read == {"cloudfront-viewer-country", "cloudfront-viewer-country-region", "cloudfront-viewer-address"}
    for policy_id, policy in policies.items():
        headers = {h.lower() for h in policy["HeadersConfig"]["Headers"]}
        assert policy["HeadersConfig"]["HeaderBehavior"] == "whitelist", policy_id
        assert read <= headers, policy_id
        assert "host" not in headers, policy_id  # API Gateway routes by its own host name
        assert len(headers) <= 10, policy_id  # CloudFront's default quota of headers per policy
        assert policy["CookiesConfig"]["CookieBehavior"] == "none", policy_id
    assert {"PublicUrl", "PublicDistributionDomainName"} <= set(template["Outputs"])


# --- print files (issue 3) ---------------------------------------------------------------------
def test_given_the_print_files_bucket_when_read_then_it_is_private_encrypted_tls_only_and_expires_files(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["PrintFilesBucket"]["Properties"]
    policy = template["Resources"]["PrintFilesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    rules = bucket["LifecycleConfiguration"]["Rules"]

    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert [(r["Prefix"], r["ExpirationInDays"]) for r in rules] == [("print-jobs/", 7)]
    assert policy[0]["Effect"] == "Deny" and policy[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_given_the_label_jobs_queue_when_read_then_failed_chunks_retry_then_land_in_the_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    queue = template["Resources"]["LabelJobsQueue"]["Properties"]
    worker = template["Resources"][LABEL_WORKER]["Properties"]
    event = worker["Events"]["LabelJobs"]
    env = cfn.function_environment(template, LABEL_WORKER)

    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["LabelJobsDeadLetterQueue", "Arn"]}
    assert int(env["PRINT_MAX_RECEIVES"]) == queue["RedrivePolicy"]["maxReceiveCount"] >= 2
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    # the poller never starts more workers than may run: no throttled chunk spends a receive
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= worker["ReservedConcurrentExecutions"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["LabelJobsQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert cfn.function_environment(template, PRODUCER_API)["PRINT_QUEUE_URL"] == "LabelJobsQueue"


# --- inspectors (issue 6) ----------------------------------------------------------------------
def test_given_the_anomaly_detector_when_read_then_it_reads_the_scan_stream_with_partial_failures_and_a_dlq(
    template: dict[str, Any],
) -> None:
    detector = template["Resources"][ANOMALY_DETECTOR]["Properties"]
    event = detector["Events"]["ScanStream"]
    env = cfn.function_environment(template, ANOMALY_DETECTOR)

    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["ScansTable", "StreamArn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BisectBatchOnFunctionError"] is True
    assert 0 < event["Properties"]["MaximumRetryAttempts"] <= 10
    assert event["Properties"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["AnomalyDetectorDeadLetterQueue", "Arn"]},
    }
    assert env["ALERTS_TABLE"] == "AlertsTable" and env["ALERTS_TOPIC_ARN"] == "AlertsTopic"


def _stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics of a metric-math alarm (those with a MetricStat)."""
    return [m for m in alarm.get("Metrics", []) if "MetricStat" in m]


def test_given_the_functions_when_read_then_dynamodb_refusals_of_every_one_are_watched(
    template: dict[str, Any],
) -> None:
    services = {
        props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for props in (r["Properties"] for r in _resources(template, "AWS::Serverless::Function").values())
    }
    alarm = _alarms(template)["DynamoDbRefusedAlarm"]
    watched = {
        next(d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "service")
        for m in _stats(alarm)
        if m["MetricStat"]["Metric"]
        == {**m["MetricStat"]["Metric"], "Namespace": "OcopStamps", "MetricName": "DynamoDbRefused"}
        and m["MetricStat"]["Stat"] == "Sum"
    }
    summed = next(m for m in alarm["Metrics"] if m.get("ReturnData"))

    assert len(services) >= 8 and watched == services
    assert summed["Expression"] == "SUM([" + ", ".join(m["Id"] for m in _stats(alarm)) + "])"
    assert _fires_on_one(alarm)


def test_given_the_alerts_topic_when_read_then_an_email_subscription_exists_only_when_an_address_is_given(
    template: dict[str, Any],
) -> None:
    subscription = template["Resources"]["AlertsEmailSubscription"]

    assert template["Resources"]["AlertsTopic"]["Type"] == "AWS::SNS::Topic"
    assert subscription["Condition"] == "HasAlertEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlertEmail"}
    assert template["Parameters"]["AlertEmail"]["Default"] == ""
    assert template["Parameters"]["ScanRetentionDays"]["Default"] == 1827


# --- alarms (issue 10) -------------------------------------------------------------------------
# Every list below is read from the template: a new function, dead-letter queue or alarm that
# does not follow the rules fails here without anyone editing this file.
def _arn_target(value: Any) -> str | None:
    """The logical id behind ``!GetAtt X.Arn``, else None."""
    if isinstance(value, dict) and isinstance(att := value.get("Fn::GetAtt"), list) and att[1:] == ["Arn"]:
        return att[0]
    return None


def _dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Queues something gives up into: a queue's redrive target, a function event's OnFailure
    destination, a function's DeadLetterQueue or its asynchronous OnFailure destination."""
    resources = template["Resources"]
    found: set[str | None] = set()
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue":
            found.add(_arn_target(props.get("RedrivePolicy", {}).get("deadLetterTargetArn")))
        if resource["Type"] == "AWS::Serverless::Function":
            found.add(_arn_target(props.get("DeadLetterQueue", {}).get("TargetArn")))
            on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
            found.add(_arn_target(on_failure.get("Destination")))
            for event in props.get("Events", {}).values():
                on_failure = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure", {})
                found.add(_arn_target(on_failure.get("Destination")))
    return {q for q in found if q is not None and resources.get(q, {}).get("Type") == "AWS::SQS::Queue"}


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in _resources(template, "AWS::CloudWatch::Alarm").items()}


def _watching(template: dict[str, Any], namespace: str, metric: str, dimension: str, value: Any) -> list[dict]:
    return [
        alarm
        for alarm in _alarms(template).values()
        if alarm.get("Namespace") == namespace
        and alarm.get("MetricName") == metric
        and {"Name": dimension, "Value": value} in alarm.get("Dimensions", [])
    ]


def _fires_on_one(alarm: dict[str, Any]) -> bool:
    return (alarm["ComparisonOperator"], alarm["Threshold"]) in {
        ("GreaterThanThreshold", 0),
        ("GreaterThanOrEqualToThreshold", 1),
    }


def _unwatched(template: dict[str, Any]) -> list[str]:
    """What should have an alarm firing on the first event and has none."""
    missing = []
    for queue in sorted(_dead_letter_queues(template)):
        alarms = _watching(
            template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": [queue, "QueueName"]}
        )
        if not any(_fires_on_one(a) for a in alarms):
            missing.append(f"{queue}: depth")
    for function_id in _resources(template, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            alarms = _watching(template, "AWS/Lambda", metric, "FunctionName", {"Ref": function_id})
            if not any(_fires_on_one(a) for a in alarms):
                missing.append(f"{function_id}: {metric}")
    return missing


def test_given_the_template_when_alarms_are_read_then_every_dead_letter_queue_and_function_is_watched(
    template: dict[str, Any],
) -> None:
    # the derivation finds both kinds of dead-letter queue: redrive targets and OnFailure destinations
    assert {"LabelJobsDeadLetterQueue", "ScanFallbackDeadLetterQueue", "AnomalyDetectorDeadLetterQueue"} <= (
        _dead_letter_queues(template)
    )
    assert _unwatched(template) == []


def test_given_a_new_function_and_dead_letter_queue_without_alarms_when_checked_then_both_are_reported(
    template: dict[str, Any],
) -> None:
    grown = copy.deepcopy(template)
    grown["Resources"]["NewDeadLetterQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    grown["Resources"]["NewFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["NewDeadLetterQueue", "Arn"]}}},
    }

    assert _unwatched(grown) == ["NewDeadLetterQueue: depth", "NewFunction: Errors", "NewFunction: Throttles"]


def test_given_the_scan_fallback_queue_when_its_age_alarm_is_read_then_it_fires_before_scans_reach_the_dlq(
    template: dict[str, Any],
) -> None:
    queue_id = cfn.function_environment(template, PUBLIC_SCAN)["SCAN_FALLBACK_QUEUE_URL"]
    queue = template["Resources"][queue_id]["Properties"]
    alarms = _watching(
        template, "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", {"Fn::GetAtt": [queue_id, "QueueName"]}
    )
    give_up_after = queue["VisibilityTimeout"] * queue["RedrivePolicy"]["maxReceiveCount"]

    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["ComparisonOperator"] in {"GreaterThanThreshold", "GreaterThanOrEqualToThreshold"}
    # not on one retry of a DynamoDB hiccup, and early enough to act before the dead-letter queue
    assert 2 * queue["VisibilityTimeout"] <= alarm["Threshold"]
    assert alarm["Threshold"] + alarm["Period"] * alarm["EvaluationPeriods"] < give_up_after
    assert alarm["Statistic"] == "Maximum"
    assert alarm["TreatMissingData"] == "notBreaching"  # an empty queue reports no age


def test_given_the_alarms_when_read_then_each_notifies_the_alerts_topic_and_chose_its_missing_data(
    template: dict[str, Any],
) -> None:
    alarms = _alarms(template)

    assert alarms
    for alarm_id, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}], alarm_id
        assert alarm["OKActions"] == [{"Ref": "AlertsTopic"}], alarm_id
        assert alarm["TreatMissingData"] in {"notBreaching", "ignore"}, alarm_id
        periods = [alarm.get("Period")] if "Period" in alarm else [m["MetricStat"]["Period"] for m in _stats(alarm)]
        assert periods and min(periods) >= 60 and alarm["EvaluationPeriods"] >= 1, alarm_id
        assert alarm["AlarmDescription"] and "docs/OPERATIONS.md" in alarm["AlarmDescription"], alarm_id
        assert alarm["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), alarm_id
    # a dead-letter queue holding messages must not turn OK because SQS stopped reporting it
    for queue in _dead_letter_queues(template):
        for alarm in _watching(
            template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": [queue, "QueueName"]}
        ):
            assert alarm["TreatMissingData"] == "ignore", queue


def test_given_the_alerts_topic_when_read_then_its_key_lets_cloudwatch_alarms_publish(
    template: dict[str, Any],
) -> None:
    topic = template["Resources"]["AlertsTopic"]["Properties"]
    key = template["Resources"]["AlertsTopicKey"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]

    # not alias/aws/sns: the AWS managed key's policy cannot admit CloudWatch, alarms would fail
    assert topic["KmsMasterKeyId"] == {"Ref": "AlertsTopicKey"}
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_shall_support_https_for_every_digital_link_path(template: dict[str, Any]) -> None:
    """GS1-Conformant Resolver: "SHALL support HTTP over TLS (HTTPS)" (docs/DIGITAL-LINK.md).
    The distribution answers plain HTTP with a redirect to HTTPS on every resolver path, and
    reaches the HTTP API (an HTTPS-only endpoint) over HTTPS only."""
    config = _distribution(template)
    for path in ("/01/08930000000019/21/ABC", "/01/08930000000019", "/.well-known/gs1resolver", "/v/ABC"):
        assert _behaviour_for(config, path)["ViewerProtocolPolicy"] == "redirect-to-https"
    (origin,) = config["Origins"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
