"""Two layers (issue 10): a domain layer every function carries and a print layer (numpy,
segno, ReportLab, Pillow, Noto Sans) for the two functions that render print files.

The template tests read the layers from infra/template.yaml; the subprocess tests run the
functions that do not get the print layer with the print packages made unimportable, so a
code path that starts to need one of them fails here rather than in Lambda.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"

try:
    from ocop_local import layers
    from ocop_local import template as cfn
except ModuleNotFoundError:  # not installed into the venv: import it from the source tree
    sys.path.insert(0, str(ROOT / "infra" / "local"))
    from ocop_local import layers
    from ocop_local import template as cfn

# Distribution names in requirements files, and the modules they install.
PRINT_PACKAGES = {"numpy", "segno", "reportlab", "pillow", "fontpkg-noto-sans"}
PRINT_MODULES = ("numpy", "segno", "reportlab", "PIL", "fontpkg_noto_sans")
# The functions that render print files: producer_api inline (up to 2,000 labels) and the
# label worker (jobs). producer_api also serves codes.csv, whose 10,000-code chunks use numpy.
PRINTING_FUNCTIONS = {
    "ProducerApiFunction",
    "LabelWorkerFunction",
    "ConsoleFunction",
}  # the console prints too (issue 15)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load_template(TEMPLATE_PATH)


def _functions(template: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function")


def _layers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::LayerVersion"}


def _requirements(template: dict[str, Any], layer_id: str) -> set[str]:
    folder = (TEMPLATE_PATH.parent / template["Resources"][layer_id]["Properties"]["ContentUri"]).resolve()
    return {
        re.split(r"[\[<>=!~; ]", line.strip(), maxsplit=1)[0].lower()
        for line in (folder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def _function_layers(template: dict[str, Any], function_id: str) -> list[Any]:
    return cfn.function_properties(template, function_id).get("Layers", [])


# --- the template -----------------------------------------------------------------------------
def test_given_the_template_when_layers_are_read_then_a_domain_and_a_print_layer_build_for_arm64_py312(
    template: dict[str, Any],
) -> None:
    layers = _layers(template)

    assert set(layers) == {"DomainLayer", "PrintLayer"}
    for layer in layers.values():
        assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_given_the_domain_layer_requirements_when_read_then_no_print_package_and_no_boto3(
    template: dict[str, Any],
) -> None:
    requirements = _requirements(template, "DomainLayer")

    assert requirements & PRINT_PACKAGES == set()
    assert requirements.isdisjoint({"boto3", "botocore"})  # the Lambda runtime has them
    assert {"aws-lambda-powertools", "pydantic", "pynamodb", "cryptography"} <= requirements


def test_given_the_print_layer_requirements_when_read_then_exactly_the_print_packages(
    template: dict[str, Any],
) -> None:
    folder = (TEMPLATE_PATH.parent / template["Resources"]["PrintLayer"]["Properties"]["ContentUri"]).resolve()

    assert _requirements(template, "PrintLayer") == PRINT_PACKAGES
    # dependencies only: the ocop_stamps package itself lives in the domain layer, once
    assert not (folder / "ocop_stamps").exists()


def test_given_the_functions_when_their_layers_are_read_then_only_the_printing_ones_get_the_print_layer(
    template: dict[str, Any],
) -> None:
    with_print = {f for f in _functions(template) if {"Ref": "PrintLayer"} in _function_layers(template, f)}

    assert with_print == PRINTING_FUNCTIONS
    for function_id in _functions(template):
        layers = _function_layers(template, function_id)
        assert layers.count({"Ref": "DomainLayer"}) == 1, function_id
        assert layers.count({"Ref": "PrintLayer"}) <= 1, function_id


def test_given_the_public_scan_function_when_its_layers_are_read_then_the_domain_layer_only(
    template: dict[str, Any],
) -> None:
    assert _function_layers(template, "PublicScanFunction") == [{"Ref": "DomainLayer"}]


def test_given_pyproject_when_read_then_the_print_extra_is_the_print_layer_and_the_rest_the_domain_layer(
    template: dict[str, Any],
) -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(specs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower() for spec in specs}

    assert names(project["optional-dependencies"]["print"]) == _requirements(template, "PrintLayer")
    assert names(project["dependencies"]) == _requirements(template, "DomainLayer") | {"boto3"}


# --- no print package on the paths of the functions without the print layer ---------------------
def test_given_epcis_event_lists_when_sized_then_they_stay_on_the_plain_python_encoder() -> None:
    from ocop_stamps.codes import scheme
    from ocop_stamps.epcis import events

    # _objects lists at most MAX_EPC_LIST codes; encode_many imports numpy from NUMPY_MIN_COUNT
    assert events.MAX_EPC_LIST < scheme.NUMPY_MIN_COUNT


# Runs in a fresh interpreter: a finder ahead of every other refuses the print modules and
# records each attempt, then the functions without the print layer do real work on moto.
_BLOCKED_RUN = textwrap.dedent(
    """
    import importlib.abc, json, os, sys

    BLOCKED = set(sys.argv[2].split(","))
    asked = []

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                asked.append(name)
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    sys.path.insert(0, os.environ["OCOP_TESTS_DIR"])
    mode = sys.argv[1]

    import helpers.handlers as t
    from ocop_local import backend

    env = backend.base_environment("https://tem.example.vn")
    env.update({"OCOP_CODE_KEYS": t.TEST_KEYS, "OCOP_IP_HASH_SALT": "test-salt"})
    os.environ.update(env)
    out = {}
    with backend.moto_backend():
        backend.apply_environment({})
        backend.create_tables()
        # a producer and a product through the admin API (no print layer either)
        status, producer = t.invoke_json("admin_api", t.sample("admin-create-producer"))
        assert status == 201, producer
        status, product = t.invoke_json("admin_api", t.sample("admin-create-product"))
        assert status == 201, product
        pid = product["product_id"]
        # a lot, a batch of 100 and its activation: the producer API's domain calls, run here
        # without importing that function (it has the print layer and imports the renderer)
        from ocop_stamps.catalog import registry
        from ocop_stamps.catalog.schemas import LotIn
        from ocop_stamps.codes.scheme import encode
        from ocop_stamps.issuing import activation, batches
        from ocop_stamps.issuing.schemas import ActivationIn, BatchIn
        from ocop_stamps.storage.parameters import code_keys

        def body(name):
            return json.loads(t.sample(name, PRODUCT_ID=pid)["body"])

        base = "https://tem.example.vn"
        lot = registry.register_lot("hoan-hoa", LotIn(**body("producer-create-lot")))
        batch = batches.issue_batch("hoan-hoa", BatchIn(**{**body("producer-issue-batch"), "size": 100}), base)
        activation.activate(
            "hoan-hoa", batch["batch_id"], ActivationIn(first_serial=1, last_serial=100, lot_id=lot["lot_id"]), base
        )
        code = encode(code_keys(), int(batch["batch_id"]), 42)
        if mode == "public_scan":
            status, scanned = t.invoke_json("public_scan", t.sample("public-scan-json", CODE=code))
            status_html, _, page = t.invoke("public_scan", t.sample("public-scan-html", CODE=code))
            out.update(status=status, verdict=scanned.get("verdict"), html=status_html, page="<html" in page)
        else:
            # an OCOP rating change (admin API) and a field check (inspector API): both write
            # EPCIS events, the paths that reach codes.scheme.encode_many
            rating = t.http_event(
                "POST", f"/products/{pid}/ocop-rating", route="/products/{product_id}/ocop-rating",
                body={"action": "record", "rating": t.rating(date="2026-06-15")},
                claims=t.claims("admin"), path_parameters={"product_id": pid},
            )
            status_rating, rated = t.invoke_json("admin_api", rating)
            check = t.http_event(
                "POST", "/field-checks", route="/field-checks", claims={**t.claims("inspector"), "custom:provinces": "*"},
                body={"lot_id": lot["lot_id"], "date": "2026-11-20", "place": "Chợ Đồng Xuân", "province": "Hà Nội",
                      "codes": [code], "result": "pass"},
            )
            status_check, checked = t.invoke_json("inspector_api", check)
            out.update(rating=[status_rating, rated], check=[status_check, checked])
    out.update(asked=asked, loaded=sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED))
    print(json.dumps(out, ensure_ascii=False, default=str))
    """
)


def _run_blocked(mode: str) -> dict[str, Any]:
    env = {
        **os.environ,
        # this tree's code first, whatever the venv has installed
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "layers" / "domain"), str(ROOT / "infra" / "local"), os.environ.get("PYTHONPATH", "")]
        ),
        "OCOP_TESTS_DIR": str(ROOT / "tests"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, mode, ",".join(PRINT_MODULES)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_given_the_print_packages_unimportable_when_the_public_scan_function_scans_then_it_answers() -> None:
    out = _run_blocked("public_scan")

    assert (out["status"], out["verdict"]) == (200, "genuine")
    assert (out["html"], out["page"]) == (200, True)
    assert out["asked"] == []  # nothing on the way so much as tried to import them
    assert out["loaded"] == []


def test_given_the_print_packages_unimportable_when_admin_and_inspectors_write_epcis_events_then_they_work() -> None:
    out = _run_blocked("admin_inspector")

    assert out["rating"][0] == 201, out["rating"]
    assert out["check"][0] == 201, out["check"]
    assert out["asked"] == []
    assert out["loaded"] == []


# --- nothing the Lambda runtime provides (issue 16) ------------------------------------------------
def _folder(template: dict[str, Any], layer_id: str) -> Path:
    return (TEMPLATE_PATH.parent / template["Resources"][layer_id]["Properties"]["ContentUri"]).resolve()


@pytest.mark.parametrize("layer_id", ["DomainLayer", "PrintLayer"])
def test_given_a_layer_when_sam_builds_it_then_only_its_lock_is_installed_without_dependencies(
    template: dict[str, Any], layer_id: str
) -> None:
    recipe = (_folder(template, layer_id) / "Makefile").read_text()
    target = recipe.split(f"build-{layer_id}:", 1)[1]
    installs = [line for line in target.splitlines() if " pip install " in line]

    assert len(installs) == 1
    assert "--no-deps" in installs[0] and installs[0].rstrip().endswith("-r requirements.lock")
    assert "manylinux2014_aarch64" in recipe and "--python-version 3.12" in recipe


@pytest.mark.parametrize("layer_id", ["DomainLayer", "PrintLayer"])
def test_given_a_layer_lock_then_it_holds_no_runtime_package_satisfies_requirements_txt_and_needs_only_the_runtimes(
    template: dict[str, Any], layer_id: str
) -> None:
    folder = _folder(template, layer_id)
    locked = {layers.normalize(x.name) for x in layers.read_lock(folder)}

    assert locked.isdisjoint(layers.RUNTIME)  # boto3, botocore, s3transfer, jmespath, urllib3, dateutil, six
    assert layers.problems(folder) == []


def test_given_the_domain_lock_then_what_pulls_botocore_in_takes_the_runtimes() -> None:
    needs = {x.name: x.from_runtime for x in layers.read_lock(ROOT / "layers" / "domain")}

    # pynamodb and aws-xray-sdk depend on botocore, Powertools on jmespath: the runtime's floor fits
    assert any(n.startswith("botocore") for n in needs["pynamodb"])
    assert any(n.startswith("botocore") for n in needs["aws-xray-sdk"])
    assert any(n.startswith("jmespath") for n in needs["aws-lambda-powertools"])


def _pypi_reachable() -> bool:
    import urllib.request

    try:
        urllib.request.urlopen("https://pypi.org/simple/botocore/", timeout=10).close()
    except OSError:
        return False
    return True


# Imports every domain module and makes the clients the functions make, with only the stdlib,
# the layer and the runtime's packages on the path (python -I -S: no site-packages).
_RUNTIME_IMPORT = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    sys.path[:0] = sys.argv[1:4]  # the layer's packages, the runtime's, the ocop_stamps source
    import botocore, boto3, ocop_stamps
    skipped = []
    for module in pkgutil.walk_packages(ocop_stamps.__path__, "ocop_stamps."):
        # the print layer's, and the console's modules that print (its function has that layer)
        if module.name.startswith("ocop_stamps.printing.") or module.name in (
            "ocop_stamps.console.app", "ocop_stamps.console.printing"
        ):
            skipped.append(module.name)  # not installed here
            continue
        importlib.import_module(module.name)
    from ocop_stamps.storage import faults, repository
    faults.dynamodb_client("ap-southeast-1")
    repository._connection_for("ap-southeast-1", "").client
    print(json.dumps({"botocore": botocore.__version__, "boto3": boto3.__version__,
                      "from": botocore.__file__, "skipped": len(skipped)}))
    """
)


@pytest.mark.slow
def test_given_the_runtimes_oldest_botocore_when_the_domain_layer_is_loaded_then_every_module_imports(
    tmp_path: Path,
) -> None:
    if not _pypi_reachable():
        pytest.skip("needs PyPI to install the runtime's botocore and the lock for this machine")
    layer, runtime = tmp_path / "layer", tmp_path / "runtime"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--only-binary=:all:"]
    # the lock for this machine's platform (the same versions as the arm64 layer), no dependencies
    subprocess.run(
        [*pip, "--no-deps", "--target", str(layer), "-r", str(ROOT / "layers/domain" / layers.LOCK)], check=True
    )
    floor = [f"{name}=={version}" for name, version in layers.RUNTIME.items()]
    subprocess.run([*pip, "--no-deps", "--target", str(runtime), *floor], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env |= {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "ap-southeast-1"}

    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _RUNTIME_IMPORT, str(layer), str(runtime), str(ROOT / "layers/domain")],
        cwd=ROOT / "layers" / "domain",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["botocore"] == layers.RUNTIME["botocore"] and loaded["from"].startswith(str(runtime))
