"""The suppliers' certificate API: adding and listing certificates, and every wrong input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.account.models import Role
from app.certification import repository
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.certification.numbers import EXPECTED_FORMAT
from app.core.db import Database, unit_of_work
from tests.account.factories import create_user, token_headers
from tests.certification.factories import certificate_count, create_certificate, today
from tests.cooperative.factories import create_cooperative, create_supplier
from tests.http_assertions import assert_error

ISSUER = "中华人民共和国农业农村部"


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "gi",
        "number": "AGI00122",
        "issuer": ISSUER,
        "valid_from": (today() - timedelta(days=30)).isoformat(),
        "valid_until": (today() + timedelta(days=730)).isoformat(),
    }
    values.update(overrides)
    return values


def url(cooperative_id: int) -> str:
    return f"/api/v1/cooperatives/{cooperative_id}/certificates"


async def _numbers(database: Database) -> list[str]:
    async with unit_of_work(database.reader) as session:
        return list(await session.scalars(select(Certificate.number).order_by(Certificate.id)))


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("gi", " agi00122 ", "AGI00122"),
        ("green_food", "ＬＢ－１５－１８０６０４０６５９Ａ", "LB-15-1806040659A"),
        ("green_food", "lb-18-2101012345aa", "LB-18-2101012345AA"),
        ("organic", "001op2112345", "001OP2112345"),
    ],
)
async def test_add_a_certificate_of_each_kind(
    client: httpx.AsyncClient, app: FastAPI, database: Database, kind: str, typed: str, stored: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(
        url(cooperative_id), json=body(kind=kind, number=typed), headers=headers
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["kind"] == kind
    assert created["number"] == stored
    assert created["issuer"] == ISSUER
    assert created["status"] == "pending"
    assert created["cooperative_id"] == cooperative_id
    assert created["scan_url"] is None
    assert created["badge_valid"] is False  # pending: no badge until verified
    assert created["valid_until"] == (today() + timedelta(days=730)).isoformat()
    assert isinstance(created["id"], int)
    async with unit_of_work(database.reader) as session:
        row = await session.get(Certificate, created["id"])
        assert row is not None
        assert (row.kind, row.number, row.status) == (kind, stored, CertificateStatus.PENDING)
        assert row.cooperative_id == cooperative_id


async def test_a_plain_member_may_add_and_list(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database, role=Role.SUPPLIER_MEMBER)
    cooperative_id, headers = coop.id, coop.headers
    created = await client.post(url(cooperative_id), json=body(), headers=headers)
    assert created.status_code == 201, created.text

    listed = await client.get(url(cooperative_id), headers=headers)

    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [created.json()["id"]]


async def test_list_shows_only_this_suppliers_certificates_with_their_badges(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    other_id = await create_cooperative(database, name="别家合作社")
    verified = await create_certificate(database, cooperative_id, status=CertificateStatus.VERIFIED)
    pending = await create_certificate(
        database, cooperative_id, kind=CertificateKind.ORGANIC, status=CertificateStatus.PENDING
    )
    expired = await create_certificate(
        database,
        cooperative_id,
        status=CertificateStatus.VERIFIED,
        valid_from=today() - timedelta(days=400),
        valid_until=today() - timedelta(days=1),
    )
    await create_certificate(database, other_id, status=CertificateStatus.VERIFIED)

    response = await client.get(url(cooperative_id), headers=headers)

    assert response.status_code == 200
    items = {c["id"]: c for c in response.json()}
    assert set(items) == {verified, pending, expired}
    assert items[verified]["badge_valid"] is True
    assert items[pending]["badge_valid"] is False
    assert items[expired]["badge_valid"] is False
    assert items[expired]["status"] == "verified"


# ---------------------------------------------------------------------------------------------
# Wrong input: 422 with the field named, and nothing stored


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        ("gi", "AGI0012"),
        ("gi", "LB-15-1806040659A"),
        ("gi", ""),
        ("green_food", "LB-15-1806040659"),
        ("green_food", "LB-15-1813040659A"),  # month 13
        ("green_food", "AGI00122"),
        ("organic", "001OP211234"),
        ("organic", "OP2112345"),
    ],
)
async def test_a_wrong_number_names_the_format_of_its_kind(
    client: httpx.AsyncClient, app: FastAPI, database: Database, kind: str, number: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(
        url(cooperative_id), json=body(kind=kind, number=number), headers=headers
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"number"}
    assert error["fields"]["number"] == EXPECTED_FORMAT[CertificateKind(kind)]
    assert EXPECTED_FORMAT[CertificateKind(kind)] in error["message"]
    assert await certificate_count(database) == 0


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [
        ("2026-01-10", "2026-01-09"),  # until before from
        ("2026-01-10", "2026-01-10"),  # until equal to from
    ],
)
async def test_valid_until_must_be_after_valid_from(
    client: httpx.AsyncClient, app: FastAPI, database: Database, valid_from: str, valid_until: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    # Far enough ahead not to be refused as already expired.
    start = date.fromisoformat(valid_from).replace(year=today().year + 1)
    end = date.fromisoformat(valid_until).replace(year=today().year + 1)

    response = await client.post(
        url(cooperative_id),
        json=body(valid_from=start.isoformat(), valid_until=end.isoformat()),
        headers=headers,
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"valid_until"}
    assert "after valid_from" in error["fields"]["valid_until"]
    assert await certificate_count(database) == 0


async def test_an_already_expired_certificate_is_refused(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    yesterday = today() - timedelta(days=1)

    response = await client.post(
        url(cooperative_id),
        json=body(valid_from="2020-01-01", valid_until=yesterday.isoformat()),
        headers=headers,
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"valid_until"}
    assert "expired" in error["fields"]["valid_until"]
    assert await certificate_count(database) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "2026-02-30",
        "2026-13-01",
        "2026-1-5",
        "20260105",
        "2026-01-05T00:00:00",
        "2026-01-05T00:00:00Z",
        "1700000000",
        "",
        "tomorrow",
        "２０２６-０１-０５",
        1700000000,
        None,
        ["2026-01-05"],
    ],
)
async def test_bad_dates_are_refused_by_field(
    client: httpx.AsyncClient, app: FastAPI, database: Database, bad: object
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    for field in ("valid_from", "valid_until"):
        response = await client.post(
            url(cooperative_id), json=body(**{field: bad}), headers=headers
        )
        error = assert_error(response, 422, "validation_failed")
        assert field in error["fields"], error
    assert await certificate_count(database) == 0


@pytest.mark.parametrize(
    ("valid_from", "valid_until"), [("1989-12-31", None), (None, "2101-01-01")]
)
async def test_dates_out_of_range_are_refused(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    valid_from: str | None,
    valid_until: str | None,
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    overrides = {
        k: v for k, v in {"valid_from": valid_from, "valid_until": valid_until}.items() if v
    }

    response = await client.post(url(cooperative_id), json=body(**overrides), headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == set(overrides)
    assert await certificate_count(database) == 0


@pytest.mark.parametrize("kind", ["GI", "haccp", "", "green-food", 1, None])
async def test_an_unknown_kind_is_refused(
    client: httpx.AsyncClient, app: FastAPI, database: Database, kind: object
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(url(cooperative_id), json=body(kind=kind), headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"kind"}
    assert await certificate_count(database) == 0


@pytest.mark.parametrize("issuer", ["", "部", "   ", " 部 ", "部" * 101, 12])
async def test_issuer_has_2_to_100_characters(
    client: httpx.AsyncClient, app: FastAPI, database: Database, issuer: object
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(url(cooperative_id), json=body(issuer=issuer), headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"issuer"}
    assert await certificate_count(database) == 0


@pytest.mark.parametrize("issuer", ["农业", "部" * 100, "  农业农村部  "])
async def test_issuer_length_bounds_are_inclusive(
    client: httpx.AsyncClient, app: FastAPI, database: Database, issuer: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(url(cooperative_id), json=body(issuer=issuer), headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["issuer"] == issuer.strip()


async def test_all_problems_are_reported_at_once(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(
        url(cooperative_id),
        json=body(number="nope", issuer="x", valid_from="2027-05-01", valid_until="2027-04-01"),
        headers=headers,
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"number", "issuer", "valid_until"}
    assert await certificate_count(database) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"kind": "gi"},
        {"kind": "gi", "number": 12345, "issuer": ISSUER, "valid_from": "2026-01-01"},
        [],
        "AGI00122",
    ],
)
async def test_incomplete_or_mistyped_bodies_are_422(
    client: httpx.AsyncClient, app: FastAPI, database: Database, payload: object
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(url(cooperative_id), json=payload, headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert error["fields"]
    assert await certificate_count(database) == 0


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers

    response = await client.post(
        url(cooperative_id),
        content=b'{"kind": "gi",',
        headers={**headers, "Content-Type": "application/json"},
    )

    assert_error(response, 400, "malformed_json")
    assert await certificate_count(database) == 0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("gi", "AGI00122"), ("gi", "agi00122")),
        (("green_food", "LB-15-1806040659A"), ("green_food", "ＬＢ－１５－１８０６０４０６５９Ａ")),
        (("organic", "001OP2112345"), ("organic", " 001op2112345 ")),
    ],
)
async def test_a_number_is_registered_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    first: tuple[str, str],
    second: tuple[str, str],
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    created = await client.post(
        url(cooperative_id), json=body(kind=first[0], number=first[1]), headers=headers
    )
    assert created.status_code == 201

    again = await client.post(
        url(cooperative_id), json=body(kind=second[0], number=second[1]), headers=headers
    )

    error = assert_error(again, 409, "certificate_number_taken")
    assert "number" in error["fields"]
    assert await _numbers(database) == [created.json()["number"]]


@pytest.mark.parametrize(
    ("kind", "number"), [("green_food", "LB-15-1806040659A"), ("organic", "001OP2112345")]
)
async def test_another_supplier_cannot_register_a_green_food_or_organic_number(
    client: httpx.AsyncClient, app: FastAPI, database: Database, kind: str, number: str
) -> None:
    """Issued to one holder: a second holder is a copy."""
    coop = await create_supplier(database, email="a@example.com")
    first_id, first = coop.id, coop.headers
    coop = await create_supplier(database, email="b@example.com")
    second_id, second = coop.id, coop.headers
    certificate = body(kind=kind, number=number)
    assert (await client.post(url(first_id), json=certificate, headers=first)).status_code == 201

    response = await client.post(url(second_id), json=certificate, headers=second)

    assert_error(response, 409, "certificate_number_taken")
    assert await certificate_count(database) == 1


async def test_the_producers_of_a_region_each_register_its_gi_number(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    """A geographical indication is used by every authorised producer of its region: each
    cooperative holds the number once."""
    coop = await create_supplier(database, email="a@example.com")
    first_id, first = coop.id, coop.headers
    coop = await create_supplier(database, email="b@example.com")
    second_id, second = coop.id, coop.headers
    assert (await client.post(url(first_id), json=body(), headers=first)).status_code == 201

    shared = await client.post(url(second_id), json=body(), headers=second)
    again = await client.post(url(second_id), json=body(), headers=second)

    assert shared.status_code == 201
    assert shared.json()["number"] == "AGI00122"
    assert_error(again, 409, "certificate_number_taken")
    assert await certificate_count(database) == 2


@pytest.mark.parametrize(
    ("kind", "number", "same_cooperative"),
    [("gi", "AGI00122", True), ("organic", "001OP2112345", False)],
)
async def test_the_database_refuses_a_duplicate_the_check_missed(
    database: Database, kind: str, number: str, same_cooperative: bool
) -> None:
    """The constraints themselves: a GI number twice in one cooperative, an organic number in
    two cooperatives."""
    first = await create_cooperative(database)
    second = first if same_cooperative else await create_cooperative(database)
    await create_certificate(database, first, kind=CertificateKind(kind), number=number)
    with pytest.raises(IntegrityError):
        await create_certificate(database, second, kind=CertificateKind(kind), number=number)
    assert await certificate_count(database) == 1


async def test_a_race_for_the_same_number_still_answers_409(
    client: httpx.AsyncClient, app: FastAPI, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-check missed it (another request committed in between): the constraint decides."""
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    await create_certificate(database, cooperative_id, number="AGI00122")

    async def nothing_found(*_args: object) -> None:
        return None

    monkeypatch.setattr(repository, "find_conflicting", nothing_found)
    response = await client.post(url(cooperative_id), json=body(), headers=headers)

    assert_error(response, 409, "certificate_number_taken")
    assert await certificate_count(database) == 1


# ---------------------------------------------------------------------------------------------
# Who may: members only; everyone else 404 (or 401 without a token)


async def test_someone_elses_cooperative_is_404(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database, email="a@example.com")
    _own_id, headers = coop.id, coop.headers
    other_id = await create_cooperative(database, name="别家合作社")
    await create_certificate(database, other_id)

    for response in (
        await client.post(url(other_id), json=body(number="AGI00999"), headers=headers),
        await client.get(url(other_id), headers=headers),
    ):
        assert_error(response, 404, "cooperative_not_found")
    assert await _numbers(database) != ["AGI00999"]
    assert await certificate_count(database) == 1


async def test_a_consumer_and_an_operator_are_not_members(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    cooperative_id = await create_cooperative(database)
    buyer = await create_user(
        database, email="buyer@example.com", password=None, roles=(Role.CONSUMER,)
    )
    operator = await create_user(
        database, email="ops@example.com", password=None, roles=(Role.OPERATOR,)
    )

    for user_id in (buyer, operator):
        headers = token_headers(user_id)
        response = await client.post(url(cooperative_id), json=body(), headers=headers)
        assert_error(response, 404, "cooperative_not_found")
    assert await certificate_count(database) == 0


async def test_an_unknown_cooperative_is_404(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    _own_id, headers = coop.id, coop.headers

    response = await client.post(url(999_999), json=body(), headers=headers)

    assert_error(response, 404, "cooperative_not_found")
    assert await certificate_count(database) == 0


@pytest.mark.parametrize("cooperative_id", ["abc", "0", "-1", "1.5", str(2**63)])
async def test_malformed_cooperative_ids_are_422(
    client: httpx.AsyncClient, app: FastAPI, database: Database, cooperative_id: str
) -> None:
    coop = await create_supplier(database)
    _own_id, headers = coop.id, coop.headers

    response = await client.post(
        f"/api/v1/cooperatives/{cooperative_id}/certificates", json=body(), headers=headers
    )

    error = assert_error(response, 422, "validation_failed")
    assert "cooperative_id" in error["fields"]
    assert await certificate_count(database) == 0


async def test_without_a_token_it_is_401(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    cooperative_id = await create_cooperative(database)

    assert_error(await client.post(url(cooperative_id), json=body()), 401, "unauthorized")
    assert_error(await client.get(url(cooperative_id)), 401, "unauthorized")
    assert await certificate_count(database) == 0


async def test_openapi_documents_the_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/cooperatives/{cooperative_id}/certificates" in paths
    create = paths["/api/v1/cooperatives/{cooperative_id}/certificates"]["post"]
    assert "201" in create["responses"] and "409" in create["responses"]
    for path in (
        "/api/v1/certificates/{certificate_id}/scan",
        "/api/v1/admin/certificates",
        "/api/v1/admin/certificates/{certificate_id}/verify",
        "/api/v1/admin/certificates/{certificate_id}/reject",
        "/api/v1/admin/certificates/{certificate_id}/revoke",
    ):
        assert path in paths, path
