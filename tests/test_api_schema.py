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
        ("/api/v1/matches", {"signalType", "hashValue", "contentId", "context", "image"}),
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
