"""app.web.query_model: a query string read in one validation, as FastAPI would read it."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from app.catalog.schemas import ProductQuery
from app.web.query_model import query_model


class Wanted(BaseModel):
    q: str | None = Field(default=None, max_length=5, description="Words")
    page: int = Field(default=1, ge=1)
    fresh: bool | None = None


read_wanted, WANTED_DOC = query_model(Wanted)


def _app() -> FastAPI:
    app = FastAPI()  # FastAPI's own error answers: the whole of each error is compared

    @app.get("/ours", openapi_extra=WANTED_DOC)
    async def ours(wanted: Annotated[Wanted, Depends(read_wanted)]) -> dict[str, Any]:
        return wanted.model_dump()

    @app.get("/fastapi")
    async def fastapis(wanted: Annotated[Wanted, Query()]) -> dict[str, Any]:
        return wanted.model_dump()

    return app


@pytest.fixture
async def twins() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=tea&page=2&fresh=true",
        "page=2&page=3",  # a repeated parameter: the last
        "q=tea&other=1",  # unknown ones are ignored
        "fresh=yes&page=%2B4",
        "page=0",
        "page=x&q=toolong",
        "fresh=maybe",
        "q=",
    ],
)
async def test_the_same_values_and_errors_as_fastapis_own_reading(
    twins: httpx.AsyncClient, query: str
) -> None:
    ours = await twins.get(f"/ours?{query}")
    theirs = await twins.get(f"/fastapi?{query}")
    assert ours.status_code == theirs.status_code
    assert ours.json() == theirs.json()


async def test_errors_name_the_parameters(twins: httpx.AsyncClient) -> None:
    response = await twins.get("/ours?page=0&q=toolong")
    assert response.status_code == 422
    assert sorted(error["loc"] for error in response.json()["detail"]) == [
        ["query", "page"],
        ["query", "q"],
    ]


def test_the_listing_documents_what_fastapi_would() -> None:
    """The OpenAPI parameters of the JSON listing are those FastAPI lists for the model."""
    app = FastAPI()

    @app.get("/listing")
    async def listing(query: Annotated[ProductQuery, Query()]) -> None:
        return None

    _, documented = query_model(ProductQuery)
    theirs = app.openapi()["paths"]["/listing"]["get"]["parameters"]
    assert documented["parameters"] == theirs
