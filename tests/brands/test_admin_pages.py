"""The operator's brand pages: a brand created and changed in the form (logo included), found
from the back office's menu; bad input is answered beside its field and stores nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Brand
from app.core.db import Database, unit_of_work
from tests.account.factories import create_operator, create_user, csrf_token_in, sign_in_page
from tests.brands.factories import ANYUAN, HUICHANG, XUNWU
from tests.catalog.factories import png_bytes

PASSWORD = "correct horse battery"


async def _brands(database: Database) -> list[Brand]:
    async with unit_of_work(database.reader) as session:
        return list(
            (
                await session.scalars(
                    select(Brand).options(selectinload(Brand.counties)).order_by(Brand.id)
                )
            ).all()
        )


async def _count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(Brand)) or 0)


def _form(token: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "name": "赣南脐橙",
        "slug": "gannan-navel-orange",
        "owner": "赣州市果业协会",
        "counties": f"{ANYUAN}, {HUICHANG}\n{XUNWU}",
        "required_certificate_kind": "gi",
        "story": "赣南脐橙产自江西赣州。",
    }
    form.update(overrides)
    return form


async def _signed_in_operator(client: httpx.AsyncClient, database: Database) -> str:
    await create_operator(database, email="ops@example.com", password=PASSWORD)
    assert (await sign_in_page(client, "ops@example.com", PASSWORD)).status_code == 303
    dashboard = await client.get("/admin/cooperatives")
    assert 'href="/admin/brands"' in dashboard.text  # reachable from the side menu
    page = await client.get("/admin/brands")
    assert page.status_code == 200
    return csrf_token_in(page.text)


async def test_an_operator_creates_and_changes_a_brand_in_the_form(
    client: httpx.AsyncClient, database: Database
) -> None:
    token = await _signed_in_operator(client, database)

    created = await client.post(
        "/admin/brands",
        data=_form(token),
        files={"logo": ("logo.png", png_bytes(200, 200), "image/png")},
    )

    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/admin/brands?saved=gannan-navel-orange"
    [brand] = await _brands(database)
    assert (brand.name, brand.owner, brand.slug) == (
        "赣南脐橙",
        "赣州市果业协会",
        "gannan-navel-orange",
    )
    assert sorted(c.county_code for c in brand.counties) == sorted([ANYUAN, HUICHANG, XUNWU])
    assert brand.required_certificate_kind is not None
    assert brand.required_certificate_kind.value == "gi"
    assert brand.logo_key is not None
    listed = await client.get(created.headers["location"])
    assert "品牌已保存" in listed.text and f'href="/admin/brands/{brand.id}"' in listed.text

    edit = await client.get(f"/admin/brands/{brand.id}")
    assert edit.status_code == 200 and "赣州市果业协会" in edit.text and ANYUAN in edit.text
    changed = await client.post(
        f"/admin/brands/{brand.id}",
        data=_form(token, owner="赣州市脐橙协会", counties=ANYUAN, required_certificate_kind=""),
    )

    assert changed.status_code == 303, changed.text
    [brand] = await _brands(database)
    assert brand.owner == "赣州市脐橙协会"
    assert [c.county_code for c in brand.counties] == [ANYUAN]
    assert brand.required_certificate_kind is None
    public = await client.get("/brands/gannan-navel-orange")
    assert public.status_code == 200 and "赣州市脐橙协会" in public.text


async def test_bad_brand_forms_are_answered_beside_their_fields_and_store_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    token = await _signed_in_operator(client, database)

    bad_slug = await client.post("/admin/brands", data=_form(token, slug="Not A Slug!"))
    assert bad_slug.status_code == 422
    assert "网址名" in bad_slug.text and 'aria-describedby="slug-hint slug-error"' in bad_slug.text
    assert 'value="赣州市果业协会"' in bad_slug.text  # what was typed stays
    not_counties = await client.post("/admin/brands", data=_form(token, counties="999999 12"))
    assert not_counties.status_code == 422 and 'id="counties-error"' in not_counties.text
    no_counties = await client.post("/admin/brands", data=_form(token, counties=" "))
    assert no_counties.status_code == 422 and 'id="counties-error"' in no_counties.text
    bad_kind = await client.post(
        "/admin/brands", data=_form(token, required_certificate_kind="gold")
    )
    assert bad_kind.status_code == 422 and 'id="required_certificate_kind-error"' in bad_kind.text
    not_an_image = await client.post(
        "/admin/brands",
        data=_form(token),
        files={"logo": ("logo.png", b"not an image at all", "image/png")},
    )
    assert not_an_image.status_code == 422 and 'id="logo-error"' in not_an_image.text
    assert await _count(database) == 0  # the refused logo took its brand with it

    assert (await client.post("/admin/brands", data=_form(token))).status_code == 303
    taken = await client.post("/admin/brands", data=_form(token, name="另一个品牌"))
    assert taken.status_code == 422 and 'id="slug-error"' in taken.text
    assert await _count(database) == 1


async def test_only_operators_see_the_brand_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com", password=PASSWORD)
    assert (await sign_in_page(client, "buyer@example.com", PASSWORD)).status_code == 303
    assert (await client.get("/admin/brands")).status_code == 403
    assert (await client.get("/admin/brands/1")).status_code == 403
