"""What /openapi.json says of the routes whose truth is not FastAPI's default: headers that are
required although a missing one is the contract's 400, tokens that are optional, documents whose
errors are JSON. The Schemathesis run (test_openapi_fuzz.py) holds the app to all of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ORDERS = "/api/v1/orders"
CERTIFICATE = "/api/v1/organizations/{organization_id}/orders/{order_id}/certificate"
STATEMENT = "/api/v1/organizations/{organization_id}/statements/{year}"


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _header(operation: dict[str, Any], name: str) -> dict[str, Any]:
    found = [
        p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name
    ]
    assert len(found) == 1, operation.get("parameters")
    header: dict[str, Any] = found[0]
    return header


async def test_required_headers_are_declared_required(document: dict[str, Any]) -> None:
    key = _header(document["paths"][ORDERS]["post"], "Idempotency-Key")
    assert key["required"] is True
    assert key["schema"]["maxLength"] == 100
    webhook = document["paths"]["/api/v1/payments/stripe/webhook"]["post"]
    assert _header(webhook, "Stripe-Signature")["required"] is True


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/cart", "get"),
        ("/api/v1/cart/items", "post"),
        ("/api/v1/cart/items/{sku_id}", "patch"),
        ("/api/v1/cart/items/{sku_id}", "delete"),
        ("/api/v1/cooperatives/{cooperative_id}", "get"),
    ],
)
async def test_routes_that_answer_anonymous_callers_make_the_token_optional(
    document: dict[str, Any], path: str, method: str
) -> None:
    assert document["paths"][path][method]["security"] == [{"HTTPBearer": []}, {}]


async def test_routes_that_need_a_token_require_it(document: dict[str, Any]) -> None:
    assert document["paths"][ORDERS]["post"]["security"] == [{"HTTPBearer": []}]


@pytest.mark.parametrize("path", [CERTIFICATE, STATEMENT])
async def test_documents_declare_their_errors_as_json(document: dict[str, Any], path: str) -> None:
    responses = document["paths"][path]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"text/html", "application/pdf"}
    for status in ("401", "404", "422", "503"):
        assert set(responses[status]["content"]) == {"application/json"}, status
