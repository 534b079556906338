"""The OpenAPI schema and the docs page partners read to write their client."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def request_fields(schema: dict, path: str) -> set[str]:  # type: ignore[type-arg]
    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"][name]["properties"])


def test_the_schema_is_served(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3")


def test_the_schema_lists_every_partner_and_case_endpoint(schema):
    assert {
        "/api/v1/matches",
        "/api/v1/matches/{report_id}",
        "/api/v1/cases",
        "/api/v1/cases/status",
        "/api/v1/cases/withdraw",
        "/v1/FetchHashes",
    } <= set(schema["paths"])


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/v1/matches", {"signalType", "hashValue", "contentId", "context", "image", "keyframes"}),
        ("/api/v1/cases", {"hashes"}),
        ("/api/v1/cases/status", {"caseNumber", "pin"}),
        ("/api/v1/cases/withdraw", {"caseNumber", "pin"}),
    ],
)
def test_each_endpoint_documents_its_own_request_body(schema, path, fields):
    assert request_fields(schema, path) == fields


def test_the_docs_page_is_served(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/schema/" in response.content


def error_codes(schema: dict, path: str, method: str) -> set[int]:  # type: ignore[type-arg]
    responses = schema["paths"][path][method]["responses"]
    ref = "#/components/schemas/Error"
    return {
        int(code)
        for code, r in responses.items()
        if r.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == ref
    }


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/matches", "post", {400, 401, 403, 409, 413, 415, 422, 429}),
        ("/api/v1/matches/{report_id}", "get", {400, 401, 403, 404, 429}),
        ("/api/v1/lookup", "post", {400, 401, 403, 413, 415, 429}),
        ("/api/v1/cases", "post", {400, 413, 415, 429}),
        ("/api/v1/cases/status", "post", {400, 403, 413, 415, 429}),
        ("/v1/FetchHashes", "get", {400, 401, 403, 429}),
        ("/v1/SubmitFeedback", "post", {400, 401, 403, 404, 413, 415, 429}),
    ],
)
def test_each_operation_documents_the_error_shape_for_the_statuses_it_answers(schema, path, method, codes):
    assert error_codes(schema, path, method) == codes
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {"error", "detail"}


def test_a_lookup_result_lists_its_matches(schema):
    result = schema["components"]["schemas"]["LookupResult"]["properties"]["matches"]
    assert result["type"] == "array" and result["items"]["$ref"] == "#/components/schemas/LookupMatch"


def test_hash_values_document_their_format(schema):
    body = schema["components"]["schemas"]["MatchReportInputRequest"]["properties"]["hashValue"]
    hex_hash, video_text, video_array = body["anyOf"]
    assert hex_hash["pattern"] == r"^\s*([0-9a-fA-F]{32}|[0-9a-fA-F]{64})\s*$"
    assert "vPDQ" in video_text["description"] and video_array["type"] == "array"
