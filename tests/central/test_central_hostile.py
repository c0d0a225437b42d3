"""Hostile input, schemathesis-style: generated bodies and path parameters against every
route of the published OpenAPI schema. The service must answer 4xx JSON, never 5xx, and
store nothing it refused."""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote

from central_harness import Running, make_tenant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wipe.signing import BenchKey

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=6)
    ),
    max_leaves=30,
)
# Payloads that look almost right: a real report's keys with generated values.
REPORT_KEYS = [
    "report_id",
    "created_at",
    "unit",
    "bench",
    "inventory",
    "health",
    "erasures",
    "grade",
]
CERT_KEYS = [
    "certificate_id",
    "result",
    "media",
    "method",
    "sanitization",
    "started_at",
    "ended_at",
]
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not encodable in UTF-8 URLs
HOSTILE_SEGMENTS = st.sampled_from(
    ["..", "%2e%2e%2f", "%00", "' OR 1=1 --", "ü" * 300, "<script>", "9" * 40, "-1", "ñ/../x"]
) | st.text(alphabet=st.characters(exclude_categories=SURROGATES), min_size=1, max_size=60)

SLOW_OK = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _keyed(keys: list[str]) -> Any:
    return st.fixed_dictionaries({}, optional={k: JSON_VALUES for k in keys})


def _signed_anyway(key: Any, payload: Any) -> dict[str, Any]:
    """Signed when the signer accepts the payload; else (not an object, a float or an
    integer canonical JSON cannot hold) the envelope a hostile client would still send,
    its signature made over the payload's ``json.dumps``."""
    from wipe.signing import CanonicalJSONError, b64

    try:
        return dict(key.sign(payload))
    except CanonicalJSONError:
        envelope = key.sign({})
        envelope["payload"] = payload
        envelope["signature"]["value"] = b64(key._private.sign(json.dumps(payload).encode()))
        return dict(envelope)


def test_generated_signed_payloads_never_crash_or_store(server: Running) -> None:
    tenant = make_tenant(server.sessions, "ST")
    bench = tenant.benches[0]
    before = server.counts()
    statuses: set[int] = set()

    @SLOW_OK
    @given(
        payload=JSON_VALUES | _keyed(REPORT_KEYS) | _keyed(CERT_KEYS),
        path=st.sampled_from(["/api/v1/reports", "/api/v1/certificates"]),
    )
    def check(payload: Any, path: str) -> None:
        body = json.dumps(_signed_anyway(bench.key, payload)).encode()
        with server.client(bench.token) as client:
            response = client.post(path, content=body)
        statuses.add(response.status_code)
        assert 400 <= response.status_code < 500, response.text
        assert set(response.json()["error"]) >= {"code", "message"}

    check()
    assert server.counts() == before
    assert statuses <= {400, 409, 422}


def test_generated_raw_bodies_never_crash(server: Running) -> None:
    tenant = make_tenant(server.sessions, "ST")
    before = server.counts()

    @SLOW_OK
    @given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
    def check(body: bytes) -> None:
        with server.client(tenant.benches[0].token) as client:
            response = client.post("/api/v1/reports", content=body)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")

    check()
    assert server.counts() == before


def test_every_published_route_resists_hostile_parameters(server: Running) -> None:
    tenant = make_tenant(server.sessions, "ST")
    with server.client() as client:
        schema = client.get("/openapi.json").json()
    routes = [
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch"}
    ]
    assert len(routes) >= 10
    tokens = [None, tenant.benches[0].token, tenant.staff_token, "cit_forged"]

    @SLOW_OK
    @given(
        route=st.sampled_from(routes),
        segment=HOSTILE_SEGMENTS,
        token=st.sampled_from(tokens),
        query=st.dictionaries(
            st.sampled_from(["serial", "id_esn", "limit", "batch"]), HOSTILE_SEGMENTS, max_size=3
        ),
    )
    def check(
        route: tuple[str, str], segment: str, token: str | None, query: dict[str, str]
    ) -> None:
        path, method = route
        url = re.sub(r"\{[^}]+\}", lambda _m: quote(segment, safe=""), path)
        with server.client(token) as client:
            response = client.request(method.upper(), url, params=query, content=b"{}")
        assert response.status_code < 500, (method, url, response.text)

    check()


def test_unregistered_signer_gets_no_further_than_the_key_check(server: Running) -> None:
    tenant = make_tenant(server.sessions, "ST")
    stranger = BenchKey.generate()
    with server.client(tenant.benches[0].token) as client:
        response = client.post("/api/v1/certificates", content=json.dumps(stranger.sign({"x": 1})))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "key_mismatch"


HOSTILE_IDS = [
    "9" * 25,
    "2147483648",
    "-1",
    "0",
    "1e3",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "' OR 1=1 --",
    "ü" * 200,
    "x" * 3000,
]
PAGE_ROUTES = [
    "/units/{}",
    "/batches/{}",
    "/batches/{}/report.csv",
    "/batches/{}/report.pdf",
    "/donor/{}",
    "/donor/{}/report.csv",
    "/verify/{}",
    "/evidence/report/{}.json",
    "/evidence/certificate/{}.json",
]


def test_every_route_with_every_hostile_id_answers_below_500(server: Running) -> None:
    # Deterministic companion of the generated test: each id on each route, as anonymous,
    # bench and staff (pages get the staff session cookie).
    tenant = make_tenant(server.sessions, "ST")
    with server.client() as client:
        schema = client.get("/openapi.json").json()
    api_routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in schema["paths"].items()
        for method in item
        if "{" in path
    ]
    routes = api_routes + [("GET", path) for path in PAGE_ROUTES]
    failures = []
    for token in (None, tenant.benches[0].token, tenant.staff_token):
        with server.client(token) as client:
            if token:
                client.post("/login", data={"token": token})  # a session for staff only
            for method, template in routes:
                for hostile in HOSTILE_IDS:
                    url = template.format(hostile if "%" in hostile else quote(hostile, safe=""))
                    response = client.request(method, url, content=b"{}")
                    if response.status_code >= 500:
                        failures.append((method, url[:80], response.status_code))
    assert failures == []


def test_nul_and_control_characters_in_queries_and_fields(server: Running) -> None:
    tenant = make_tenant(server.sessions, "ST")
    with server.client(tenant.staff_token) as client:
        assert client.post("/login", data={"token": tenant.staff_token}).status_code == 303
        for url in ("/units", "/api/v1/units", "/dashboard"):
            for key in ("q", "serial", "id_esn", "site", "status", "batch"):
                response = client.get(url, params={key: "A\x00B"})
                assert response.status_code == 400, (url, key, response.text)
                assert response.json()["error"]["code"] == "invalid_characters"
        response = client.post("/api/v1/batches", json={"code": "L\x00T", "donor_name": "D"})
        assert response.status_code == 422
        response = client.post("/api/v1/batches", json={"code": "LOT", "donor_name": "D\x07"})
        assert response.status_code == 422
        response = client.patch("/api/v1/units/1", json={"batch": "L\x00T"})
        assert response.status_code in {404, 422}
