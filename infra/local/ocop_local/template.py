"""Read infra/template.yaml, the single source of truth for routes, tables and policies.

The local stack and the tests use this module instead of a second list of routes or key
schemas: ``http_routes`` gives every HTTP API route with its function and whether the JWT
authorizer guards it, ``table_definitions`` gives boto3 ``create_table`` arguments (for
moto or any DynamoDB-compatible server), ``function_environment`` gives a function's
environment with Globals merged and ``Ref`` resolved.

Only PyYAML and the standard library are needed, so the file also runs under the SAM CLI's
own virtualenv: ``python infra/local/ocop_local/template.py sam-transform [TEMPLATE]``
prints the template as CloudFormation sees it after the SAM transform (``make
lint-template`` lints that output too: a circular dependency through the generated API
only shows up there).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CloudFormationLoader",
    "Edge",
    "Route",
    "default_template_path",
    "edge",
    "function_environment",
    "function_properties",
    "http_routes",
    "load_template",
    "sam_transform",
    "table_definitions",
    "time_to_live_attributes",
]

FUNCTION_TYPE = "AWS::Serverless::Function"
HTTP_API_TYPE = "AWS::Serverless::HttpApi"
TABLE_TYPE = "AWS::DynamoDB::Table"
DISTRIBUTION_TYPE = "AWS::CloudFront::Distribution"
NO_AUTHORIZER = "NONE"
TEMPLATE_ENV_VAR = "OCOP_TEMPLATE"
_RELATIVE_TEMPLATE = Path("infra") / "template.yaml"


# --- loading ----------------------------------------------------------------------------
class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (``!Ref``, ``!Sub`` ...) as the
    long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``) and leaves dates as strings."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)
# CloudFormation keeps 2024-01-31 as a string; PyYAML would make it a datetime.date.
CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def default_template_path() -> Path:
    """$OCOP_TEMPLATE, else infra/template.yaml of the repository holding this file, else of
    the nearest directory above the working directory that has one."""
    if env := os.environ.get(TEMPLATE_ENV_VAR):
        return Path(env)
    beside = Path(__file__).resolve().parents[3] / _RELATIVE_TEMPLATE
    if beside.is_file():
        return beside
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / _RELATIVE_TEMPLATE).is_file():
            return folder / _RELATIVE_TEMPLATE
    raise FileNotFoundError(f"no {_RELATIVE_TEMPLATE} found; set {TEMPLATE_ENV_VAR}")


def load_template(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The template as a dict, short tags in their long form: a fresh copy for each caller
    (callers may change it). A file is parsed once per version (path, size, modification
    time): PyYAML takes ~0.3 s on infra/template.yaml, a copy ~10 ms, and the test tiers
    load it for every test. Raises ValueError when the file is not a template."""
    file = Path(path or default_template_path()).resolve()
    stat = file.stat()
    return copy.deepcopy(_parsed_template(file, (stat.st_size, stat.st_mtime_ns)))


@lru_cache(maxsize=8)  # tests also write throwaway templates: keep only a few
def _parsed_template(file: Path, _version: tuple[int, int]) -> dict[str, Any]:
    """``file`` parsed; ``_version`` (size, modification time) is only part of the cache key."""
    with open(file, encoding="utf-8") as stream:
        template = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise ValueError(f"{file} is not a CloudFormation template")
    return template


def _resources_of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") == kind
    }


# --- functions and routes -----------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One HTTP API route: ``GET /v/{code}`` served by ``PublicScanFunction``."""

    function_id: str  # logical id, e.g. PublicScanFunction
    handler: str  # module.function, e.g. app.lambda_handler
    method: str  # upper case, e.g. GET (or ANY)
    path: str  # e.g. /v/{code}
    authorized: bool  # False only when the route opts out with Auth.Authorizer NONE
    event_name: str = ""  # the SAM event's name, e.g. ScanCode
    code_uri: str = ""  # CodeUri as written, relative to the template's folder

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def function_properties(template: Mapping[str, Any], function_id: str) -> dict[str, Any]:
    """A function's properties with Globals.Function merged in, as SAM merges them: the
    function's own value wins, maps (Environment.Variables) are merged key by key, and lists
    (Layers) are joined, globals first."""
    resource = template["Resources"][function_id]
    if resource.get("Type") != FUNCTION_TYPE:
        raise ValueError(f"{function_id} is not an {FUNCTION_TYPE}")
    merged = copy.deepcopy(template.get("Globals", {}).get("Function", {}))
    _merge(merged, copy.deepcopy(resource.get("Properties", {})))
    return merged


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not _is_intrinsic(value):
            _merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = base[key] + value
        else:
            base[key] = value


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    key = next(iter(value), "")
    return len(value) == 1 and (key in ("Ref", "Condition") or key.startswith("Fn::"))


def http_routes(template: Mapping[str, Any]) -> list[Route]:
    """Every ``HttpApi`` event of every function, in template order."""
    default_authorizers = {
        api_id: api.get("Properties", {}).get("Auth", {}).get("DefaultAuthorizer")
        for api_id, api in _resources_of_type(template, HTTP_API_TYPE).items()
    }
    implicit_default = template.get("Globals", {}).get("HttpApi", {}).get("Auth", {}).get("DefaultAuthorizer")
    routes: list[Route] = []
    for function_id in _resources_of_type(template, FUNCTION_TYPE):
        props = function_properties(template, function_id)
        code_uri = props.get("CodeUri", "")
        if not isinstance(code_uri, str):
            raise ValueError(f"{function_id}: only a local CodeUri folder is supported")
        for event_name, event in props.get("Events", {}).items():
            if event.get("Type") != "HttpApi":
                continue
            event_props = event.get("Properties", {})
            api_ref = event_props.get("ApiId")
            if api_ref is None:  # the implicit ServerlessHttpApi
                default = implicit_default
            elif isinstance(api_ref, dict) and "Ref" in api_ref:
                default = default_authorizers.get(api_ref["Ref"])
            else:
                raise ValueError(f"{function_id}.{event_name}: ApiId must be a Ref to an HttpApi")
            authorizer = event_props.get("Auth", {}).get("Authorizer", default)
            routes.append(
                Route(
                    function_id=function_id,
                    handler=props["Handler"],
                    method=str(event_props.get("Method", "ANY")).upper(),
                    path=event_props.get("Path", "$default"),
                    authorized=bool(authorizer) and authorizer != NO_AUTHORIZER,
                    event_name=event_name,
                    code_uri=code_uri,
                )
            )
    return routes


def function_environment(
    template: Mapping[str, Any],
    function_id: str,
    refs: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A function's environment variables (Globals merged) with every ``Ref`` resolved:
    ``refs[name]`` when given, else a parameter's Default, else the logical id itself (the
    local stack names its tables by logical id)."""
    refs = refs or {}
    parameters = template.get("Parameters", {})
    variables = function_properties(template, function_id).get("Environment", {}).get("Variables", {})
    environment: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"}:
            target = value["Ref"]
            if target in refs:
                value = refs[target]
            elif target in parameters:
                value = parameters[target].get("Default", "")
            else:
                value = target
        if isinstance(value, dict | list):
            raise ValueError(f"{function_id}: {name} uses {value!r}; only plain values and Ref resolve")
        environment[name] = "" if value is None else str(value)
    return environment


# --- the edge -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Edge:
    """What the template's CloudFront distribution adds to the requests it passes on."""

    origin_header: str  # the custom origin header carrying the origin secret, lower case
    viewer_headers: tuple[str, ...]  # the CloudFront-* headers its origin request policy forwards, lower case


def edge(template: Mapping[str, Any]) -> Edge | None:
    """The first distribution's origin secret header and forwarded CloudFront-* headers
    (default cache behaviour), or None when the template has no distribution."""
    for distribution in _resources_of_type(template, DISTRIBUTION_TYPE).values():
        config = distribution.get("Properties", {}).get("DistributionConfig", {})
        names = [
            str(header["HeaderName"]).lower()
            for origin in config.get("Origins", [])
            for header in origin.get("OriginCustomHeaders", [])
        ]
        policy_ref = config.get("DefaultCacheBehavior", {}).get("OriginRequestPolicyId")
        policy: dict[str, Any] = {}
        if isinstance(policy_ref, dict) and "Ref" in policy_ref:
            policy = template["Resources"][policy_ref["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
        forwarded = [str(h).lower() for h in policy.get("HeadersConfig", {}).get("Headers", [])]
        if len(names) != 1:
            raise ValueError("the distribution must send exactly one custom origin header (the origin secret)")
        return Edge(names[0], tuple(h for h in forwarded if h.startswith("cloudfront-")))
    return None


# --- tables -------------------------------------------------------------------------------
def table_definitions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """boto3 ``create_table`` keyword arguments for every DynamoDB table, by logical id;
    TableName is left for the caller."""
    definitions: dict[str, dict[str, Any]] = {}
    for logical_id, resource in _resources_of_type(template, TABLE_TYPE).items():
        props = resource.get("Properties", {})
        definition: dict[str, Any] = {
            "KeySchema": copy.deepcopy(props["KeySchema"]),
            "AttributeDefinitions": copy.deepcopy(props["AttributeDefinitions"]),
            "BillingMode": "PAY_PER_REQUEST",
        }
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(kind):
                definition[kind] = [
                    {
                        "IndexName": index["IndexName"],
                        "KeySchema": copy.deepcopy(index["KeySchema"]),
                        "Projection": copy.deepcopy(index.get("Projection", {"ProjectionType": "ALL"})),
                    }
                    for index in props[kind]
                ]
        if stream := props.get("StreamSpecification"):
            definition["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        definitions[logical_id] = definition
    return definitions


def time_to_live_attributes(template: Mapping[str, Any]) -> dict[str, str]:
    """The TTL attribute of every table that enables one (for ``update_time_to_live``)."""
    return {
        logical_id: spec["AttributeName"]
        for logical_id, resource in _resources_of_type(template, TABLE_TYPE).items()
        if (spec := resource.get("Properties", {}).get("TimeToLiveSpecification", {})).get("Enabled")
    }


# --- the SAM transform (runs only where aws-sam-translator is installed: .venv-sam) --------
PLACEHOLDER_ARTIFACT = "s3://ocop-placeholder-artifacts/artifact.zip"


def sam_transform(path: str | os.PathLike[str] | None = None, region: str = "ap-southeast-1") -> dict[str, Any]:
    """The template after the SAM transform, as CloudFormation would receive it; local
    CodeUri/ContentUri folders are replaced by a placeholder S3 object (sam package would
    upload them). Needs aws-sam-translator; calls no AWS API."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    with open(path or default_template_path(), encoding="utf-8") as stream:
        template = yaml_parse(stream.read())
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = PLACEHOLDER_ARTIFACT

    class _NoManagedPolicyNames:
        def load(self) -> dict[str, str]:
            return {}

    return transform(template, {}, _NoManagedPolicyNames())


def _main(argv: list[str]) -> int:
    if not argv or argv[0] != "sam-transform" or len(argv) > 2:
        print("usage: template.py sam-transform [TEMPLATE]", file=sys.stderr)
        return 2
    json.dump(sam_transform(argv[1] if len(argv) == 2 else None), sys.stdout, indent=1, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
