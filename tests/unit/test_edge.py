"""Trust at the edge (issue 11) on plain headers: CloudFront's viewer headers count only with
the origin secret; the origin secret's shapes; the local gateway playing CloudFront. Scans,
pages and alerts through the handler: tests/integration/test_edge.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from helpers.template import TEMPLATE_PATH, cfn
from ocop_local import server
from ocop_stamps.scanning import edge
from ocop_stamps.storage import parameters

SECRET = "s3cret-value-of-the-distribution"
PLACE = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
VIEWER = {"cloudfront-viewer-address": "198.51.100.23:50443"}
EDGE_SERVER = "130.176.1.1"  # what API Gateway sees behind CloudFront: an edge server's address


@pytest.fixture(autouse=True)
def origin_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OCOP_ORIGIN_SECRET", json.dumps({"current": SECRET}))
    monkeypatch.delenv("ORIGIN_SECRET_ID", raising=False)
    parameters.reset_caches()
    yield
    parameters.reset_caches()


def _counted(out: str) -> list[dict]:
    """The UntrustedEdge EMF lines printed."""
    blobs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [b for b in blobs if "UntrustedEdge" in b]


def _logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "CloudFront viewer headers ignored" in r.getMessage()]


def test_given_the_origin_secret_when_read_then_cloudfronts_place_and_viewer_address_are_kept(capsys, caplog) -> None:
    seen = edge.viewer({**PLACE, **VIEWER, "accept": "text/html", edge.ORIGIN_HEADER: SECRET}, EDGE_SERVER)

    assert seen.headers == {**PLACE, **VIEWER, "accept": "text/html"}  # the secret itself goes no further
    assert seen.address == "198.51.100.23"
    assert _counted(capsys.readouterr().out) == [] and _logged(caplog) == []


@pytest.mark.parametrize(
    ("presented", "reason"),
    [(None, "no_secret"), ("guess", "wrong_secret"), ("", "wrong_secret"), (SECRET[:-1], "wrong_secret")],
)
def test_given_place_headers_without_the_right_secret_then_they_are_dropped_counted_and_logged(
    capsys, caplog, presented: str | None, reason: str
) -> None:
    headers = {**PLACE, **VIEWER, "cloudfront-viewer-city": "Hanoi", "accept": "text/html"}
    if presented is not None:
        headers[edge.ORIGIN_HEADER] = presented

    seen = edge.viewer(headers, "203.0.113.7")

    assert seen.headers == {"accept": "text/html"}
    assert seen.address == "203.0.113.7"  # the connection's own address, not the one claimed
    (metric,) = _counted(capsys.readouterr().out)
    assert (metric["UntrustedEdge"], metric["reason"]) == ([1.0], reason)
    (log,) = _logged(caplog)
    assert log.reason == reason and "cloudfront-viewer-country-region" in log.ignored_headers  # type: ignore[attr-defined]
    assert "198.51.100.23" not in str(log.__dict__) and SECRET not in str(log.__dict__)


def test_given_a_request_without_cloudfront_headers_then_nothing_is_counted(capsys, caplog) -> None:
    seen = edge.viewer({"accept": "application/json"}, "203.0.113.7")

    assert seen == edge.Viewer({"accept": "application/json"}, "203.0.113.7")
    assert _counted(capsys.readouterr().out) == [] and _logged(caplog) == []


def test_given_no_origin_secret_configured_then_nothing_from_cloudfront_is_trusted(monkeypatch, caplog) -> None:
    monkeypatch.delenv("OCOP_ORIGIN_SECRET")
    parameters.reset_caches()

    seen = edge.viewer({**PLACE, edge.ORIGIN_HEADER: ""}, "203.0.113.7")

    assert seen.headers == {}
    assert any(r.levelname == "ERROR" and "origin secret unavailable" in r.getMessage() for r in caplog.records)


def test_given_a_rotation_under_way_then_current_and_previous_are_accepted_and_nothing_else(monkeypatch) -> None:
    monkeypatch.setenv("OCOP_ORIGIN_SECRET", json.dumps({"current": "new-value", "previous": SECRET}))
    parameters.reset_caches()

    assert edge.viewer({**PLACE, edge.ORIGIN_HEADER: "new-value"}, None).headers == PLACE
    assert edge.viewer({**PLACE, edge.ORIGIN_HEADER: SECRET}, None).headers == PLACE
    assert edge.viewer({**PLACE, edge.ORIGIN_HEADER: "new-valu"}, None).headers == {}


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ('{"current": "a"}', (b"a",)),
        ('{"current": "a", "previous": "b"}', (b"a", b"b")),
        ('{"current": "a", "previous": ""}', (b"a",)),
        ("bare-value", (b"bare-value",)),
    ],
)
def test_given_an_origin_secret_when_parsed_then_current_comes_first(text: str, accepted: tuple[bytes, ...]) -> None:
    assert parameters.parse_origin_secrets(text) == parameters.OriginSecrets(accepted[0], accepted)


@pytest.mark.parametrize("text", ['{"previous": "b"}', '{"current": ""}', '{"current": 5}', "{not json"])
def test_given_an_origin_secret_without_a_current_value_then_it_is_missing(text: str) -> None:
    with pytest.raises(parameters.SecretMissing):
        parameters.parse_origin_secrets(text)


# --- the local stack plays CloudFront ---------------------------------------------------------
EDGE = cfn.edge(cfn.load_template(TEMPLATE_PATH))


def test_given_the_template_when_the_local_gateway_reads_its_edge_then_it_is_the_distributions() -> None:
    assert EDGE == cfn.Edge(
        "x-origin-verify",
        ("cloudfront-viewer-country", "cloudfront-viewer-country-region", "cloudfront-viewer-address"),
    )


def test_given_a_client_claiming_cloudfront_headers_when_proxied_locally_then_the_local_edge_replaces_them() -> None:
    headers = {**PLACE, "x-origin-verify": "guess", "cloudfront-is-mobile-viewer": "true", "accept": "text/html"}

    server.play_edge(headers, EDGE, "local-secret", "127.0.0.1:50000")

    assert headers == {
        "accept": "text/html",
        "x-origin-verify": "local-secret",
        "cloudfront-viewer-address": "127.0.0.1:50000",
    }


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("VN-HN", {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}),
        ("vn-69", {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "69"}),
        ("VN", {"cloudfront-viewer-country": "VN"}),
        ("Hà Nội", {}),
        ("VN-HN; x", {}),
    ],
)
def test_given_a_local_place_header_when_proxied_locally_then_it_becomes_cloudfronts_place(
    place: str, expected: dict[str, str]
) -> None:
    headers = {server.LOCAL_PLACE_HEADER: place}

    server.play_edge(headers, EDGE, "local-secret", "127.0.0.1:50000")

    assert headers == {"x-origin-verify": "local-secret", "cloudfront-viewer-address": "127.0.0.1:50000", **expected}


def test_given_no_local_origin_secret_when_proxied_then_the_request_arrives_as_a_direct_one() -> None:
    headers = {server.LOCAL_PLACE_HEADER: "VN-HN", **PLACE, "accept": "*/*"}

    server.play_edge(headers, EDGE, None, "127.0.0.1:50000")

    assert headers == {"accept": "*/*"}
