"""The supplier's certificate page and the operator's review queue: forms, errors, access."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.account import passwords
from app.account.models import Role
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.config import Settings
from app.core.db import Database, unit_of_work
from tests.account.factories import (
    PASSWORD,
    create_operator,
    create_user,
    csrf_token_in,
    sign_in_page,
)
from tests.certification.factories import (
    audit_entries,
    certificate_count,
    create_certificate,
    image_bytes,
    load_certificate,
    stored_files,
    today,
)
from tests.cooperative.factories import add_member, create_cooperative

SUPPLIER = "coop@example.com"
OPERATOR = "operator@example.com"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in is the real form, but with argon2 at its cheapest: these tests are not about it."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


async def _signed_in_supplier(client: httpx.AsyncClient, database: Database) -> int:
    cooperative_id = await create_cooperative(database, name="三都丰收合作社")
    await add_member(database, cooperative_id, email=SUPPLIER, password=PASSWORD)
    signed_in = await sign_in_page(client, SUPPLIER)
    assert signed_in.status_code == 303
    return cooperative_id


async def _signed_in_operator(client: httpx.AsyncClient, database: Database) -> None:
    await create_operator(database, email=OPERATOR)
    assert (await sign_in_page(client, OPERATOR)).status_code == 303


def _form(csrf: str, **overrides: str) -> dict[str, str]:
    values = {
        "csrf_token": csrf,
        "kind": "gi",
        "number": "agi00122",
        "issuer": "中华人民共和国农业农村部",
        "valid_from": (today() - timedelta(days=10)).isoformat(),
        "valid_until": (today() + timedelta(days=700)).isoformat(),
    }
    values.update(overrides)
    return values


async def _page(client: httpx.AsyncClient, path: str) -> tuple[str, str]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.text, csrf_token_in(response.text)


# ---------------------------------------------------------------------------------------------
# The supplier's page


async def test_the_supplier_sees_its_certificates_and_the_forms(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    verified = await create_certificate(
        database, cooperative_id, number="AGI00146", status=CertificateStatus.VERIFIED
    )
    rejected = await create_certificate(
        database, cooperative_id, kind=CertificateKind.ORGANIC, status=CertificateStatus.REJECTED
    )
    other = await create_cooperative(database, name="别家合作社")
    await create_certificate(database, other, number="AGI00999")

    html, _csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    assert "三都丰收合作社" in html
    assert "AGI00146" in html and "AGI00999" not in html
    assert "已核验" in html and "已驳回" in html and "标识显示中" in html
    assert f'action="/coop/{cooperative_id}/certificates"' in html
    # The verified certificate's scan is locked; the rejected one can be resubmitted.
    assert f"/certificates/{verified}/scan" not in html
    assert f'action="/coop/{cooperative_id}/certificates/{rejected}/scan"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "重新提交审核" in html


async def test_adding_a_certificate_through_the_form(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    path = f"/coop/{cooperative_id}/certificates"
    _html, csrf = await _page(client, path)

    response = await client.post(path, data=_form(csrf))

    assert response.status_code == 303
    assert response.headers["location"] == path
    async with unit_of_work(database.reader) as session:
        (row,) = list(await session.scalars(select(Certificate)))
    assert (row.number, row.status, row.cooperative_id) == (
        "AGI00122",
        CertificateStatus.PENDING,
        cooperative_id,
    )
    html, _csrf = await _page(client, path)
    assert "AGI00122" in html and "待审核" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number": "AGI123"}, "number", "AGI 加 5 位数字"),
        ({"kind": "green_food", "number": "LB-15-1813040659A"}, "number", "月份为 01–12"),
        ({"kind": "organic", "number": "001OP21"}, "number", "三位认证机构代码"),
        ({"kind": "haccp"}, "kind", "请选择证书类型"),
        ({"issuer": "部"}, "issuer", "2 到 100 个字符"),
        ({"valid_from": "2026-02-30"}, "valid_from", "年-月-日"),
        ({"valid_from": "2031-05-01", "valid_until": "2031-04-01"}, "valid_until", "晚于起始日"),
        ({"valid_from": "2020-01-01", "valid_until": "2021-01-01"}, "valid_until", "已过有效期"),
    ],
)
async def test_a_wrong_form_comes_back_with_its_errors_and_values(
    client: httpx.AsyncClient,
    database: Database,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    path = f"/coop/{cooperative_id}/certificates"
    _html, csrf = await _page(client, path)

    response = await client.post(path, data=_form(csrf, **overrides))

    assert response.status_code == 422
    html = response.text
    assert f'id="{field}-error"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "请修改标出的内容后再提交" in html
    for value in overrides.values():
        if overrides.get("kind") != value:
            assert f'value="{value}"' in html  # the entered values are kept
    assert await certificate_count(database) == 0


async def test_a_duplicate_number_comes_back_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    await create_certificate(database, cooperative_id, number="AGI00122")
    path = f"/coop/{cooperative_id}/certificates"
    _html, csrf = await _page(client, path)

    response = await client.post(path, data=_form(csrf))

    assert response.status_code == 409
    assert "该证书编号已登记" in response.text
    assert 'value="agi00122"' in response.text
    assert await certificate_count(database) == 1


@pytest.mark.parametrize("token", [None, "", "wrong"])
async def test_the_form_needs_the_csrf_token(
    client: httpx.AsyncClient, database: Database, token: str | None
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    form = _form(token or "")
    if token is None:
        del form["csrf_token"]

    response = await client.post(f"/coop/{cooperative_id}/certificates", data=form)

    assert response.status_code == 403
    assert await certificate_count(database) == 0


async def test_uploading_a_scan_from_the_page(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    certificate_id = await create_certificate(database, cooperative_id)
    _html, csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    response = await client.post(
        f"/coop/{cooperative_id}/certificates/{certificate_id}/scan",
        data={"csrf_token": csrf},
        files={"file": ("scan.png", image_bytes(), "image/png")},
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith(f"#certificate-{certificate_id}")
    assert len(stored_files(settings.media_dir)) == 1
    html, _csrf = await _page(client, f"/coop/{cooperative_id}/certificates")
    certificate = await load_certificate(database, certificate_id)
    assert f'href="/media/{certificate.scan_key}"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just text", "请上传 JPEG、PNG、WebP 图片或 PDF 文件"),
        (b"", "文件不能为空"),
        (image_bytes(1, 1), "200 到 8000 像素"),
        (image_bytes(8000, 5000), "最多 2500 万像素"),
    ],
)
async def test_a_refused_scan_comes_back_on_its_certificate(
    client: httpx.AsyncClient, database: Database, settings: Settings, data: bytes, message: str
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    certificate_id = await create_certificate(database, cooperative_id)
    _html, csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    response = await client.post(
        f"/coop/{cooperative_id}/certificates/{certificate_id}/scan",
        data={"csrf_token": csrf},
        files={"file": ("scan.jpg", data, "image/jpeg")},
    )

    assert response.status_code == 422
    assert f'id="scan-{certificate_id}-error"' in response.text
    assert message in response.text
    assert stored_files(settings.media_dir) == []
    assert (await load_certificate(database, certificate_id)).scan_key is None


async def test_a_scan_upload_without_a_file_comes_back_422(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    certificate_id = await create_certificate(database, cooperative_id)
    _html, csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    response = await client.post(
        f"/coop/{cooperative_id}/certificates/{certificate_id}/scan",
        data={"csrf_token": csrf},
        files={"file": ("", b"", "application/octet-stream")},
    )

    assert response.status_code == 422
    assert "文件不能为空" in response.text
    assert stored_files(settings.media_dir) == []


async def test_a_verified_scan_cannot_be_replaced_from_the_page(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    certificate_id = await create_certificate(
        database, cooperative_id, status=CertificateStatus.VERIFIED
    )
    _html, csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    response = await client.post(
        f"/coop/{cooperative_id}/certificates/{certificate_id}/scan",
        data={"csrf_token": csrf},
        files={"file": ("scan.png", image_bytes(), "image/png")},
    )

    assert response.status_code == 409
    assert "不能更换扫描件" in response.text
    assert stored_files(settings.media_dir) == []


async def test_other_suppliers_pages_and_certificates_are_404(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    own_id = await _signed_in_supplier(client, database)
    other_id = await create_cooperative(database, name="别家合作社")
    theirs = await create_certificate(database, other_id)
    _html, csrf = await _page(client, f"/coop/{own_id}/certificates")

    responses = [
        await client.get(f"/coop/{other_id}/certificates"),
        await client.get("/coop/999999/certificates"),
        await client.get("/coop/abc/certificates"),
        await client.get("/coop/0/certificates"),
        await client.post(f"/coop/{other_id}/certificates", data=_form(csrf)),
        # Someone else's certificate, reached through one's own cooperative's path.
        await client.post(
            f"/coop/{own_id}/certificates/{theirs}/scan",
            data={"csrf_token": csrf},
            files={"file": ("scan.png", image_bytes(), "image/png")},
        ),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "没有找到这个页面" in response.text
    assert await certificate_count(database) == 1
    assert stored_files(settings.media_dir) == []


async def test_signed_out_visitors_are_sent_to_login(client: httpx.AsyncClient) -> None:
    for path in ("/coop/1/certificates", "/admin/certificates"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


# ---------------------------------------------------------------------------------------------
# The operator's queue


async def test_the_operator_queue_shows_pending_first(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    cooperative_id = await create_cooperative(database, name="甲合作社")
    verified = await create_certificate(
        database, cooperative_id, number="AGI00001", status=CertificateStatus.VERIFIED
    )
    pending = await create_certificate(
        database,
        cooperative_id,
        number="AGI00002",
        issuer="贵州省农业农村厅",
        scan_key=f"certificates/{cooperative_id}/scan.jpg",
    )

    html, _csrf = await _page(client, "/admin/certificates")

    assert html.index("AGI00002") < html.index("AGI00001")
    assert "甲合作社" in html and "贵州省农业农村厅" in html
    assert f'href="/media/certificates/{cooperative_id}/scan.jpg"' in html
    assert f'action="/admin/certificates/{pending}/verify"' in html
    assert f'action="/admin/certificates/{pending}/reject"' in html
    assert f'action="/admin/certificates/{verified}/revoke"' in html
    assert f'action="/admin/certificates/{verified}/verify"' not in html

    assert "不在有效期内" not in html

    filtered, _csrf = await _page(client, "/admin/certificates?status=verified")
    assert "AGI00001" in filtered and "AGI00002" not in filtered


async def test_the_operator_queue_flags_a_verified_but_expired_certificate(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    await create_certificate(
        database,
        await create_cooperative(database),
        status=CertificateStatus.VERIFIED,
        valid_from=today() - timedelta(days=400),
        valid_until=today() - timedelta(days=1),
    )

    html, _csrf = await _page(client, "/admin/certificates")

    assert "不在有效期内" in html


async def test_operator_actions_from_the_page_are_audited(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    cooperative_id = await create_cooperative(database)
    to_verify = await create_certificate(database, cooperative_id)
    to_reject = await create_certificate(database, cooperative_id)
    _html, csrf = await _page(client, "/admin/certificates")

    verified = await client.post(
        f"/admin/certificates/{to_verify}/verify", data={"csrf_token": csrf}
    )
    rejected = await client.post(
        f"/admin/certificates/{to_reject}/reject", data={"csrf_token": csrf, "reason": "扫描件模糊"}
    )
    revoked = await client.post(
        f"/admin/certificates/{to_verify}/revoke", data={"csrf_token": csrf, "reason": "已注销"}
    )

    assert verified.status_code == rejected.status_code == revoked.status_code == 303
    assert (await load_certificate(database, to_verify)).status == CertificateStatus.REVOKED
    assert (await load_certificate(database, to_reject)).status_reason == "扫描件模糊"
    assert [e.action for e in await audit_entries(database, to_verify)] == [
        "certificate.verify",
        "certificate.revoke",
    ]
    assert [e.reason for e in await audit_entries(database, to_reject)] == ["扫描件模糊"]


async def test_a_reject_without_reason_comes_back_422(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    certificate_id = await create_certificate(database, await create_cooperative(database))
    _html, csrf = await _page(client, "/admin/certificates")

    response = await client.post(
        f"/admin/certificates/{certificate_id}/reject", data={"csrf_token": csrf, "reason": "  "}
    )

    assert response.status_code == 422
    assert f'id="action-{certificate_id}-error"' in response.text
    assert "请填写原因" in response.text
    assert (await load_certificate(database, certificate_id)).status == CertificateStatus.PENDING
    assert await audit_entries(database, certificate_id) == []


async def test_an_illegal_action_from_the_page_comes_back_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    certificate_id = await create_certificate(database, await create_cooperative(database))
    _html, csrf = await _page(client, "/admin/certificates")

    response = await client.post(
        f"/admin/certificates/{certificate_id}/revoke", data={"csrf_token": csrf, "reason": "x"}
    )

    assert response.status_code == 409
    assert "当前的状态不允许此操作" in response.text
    assert (await load_certificate(database, certificate_id)).status == CertificateStatus.PENDING
    assert await audit_entries(database, certificate_id) == []


async def test_operator_actions_need_the_csrf_token(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in_operator(client, database)
    certificate_id = await create_certificate(database, await create_cooperative(database))
    await _page(client, "/admin/certificates")

    response = await client.post(f"/admin/certificates/{certificate_id}/verify", data={})

    assert response.status_code == 403
    assert (await load_certificate(database, certificate_id)).status == CertificateStatus.PENDING


async def test_non_operators_get_403_on_admin_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    certificate_id = await create_certificate(database, cooperative_id)
    _html, csrf = await _page(client, f"/coop/{cooperative_id}/certificates")

    page = await client.get("/admin/certificates")
    action = await client.post(
        f"/admin/certificates/{certificate_id}/verify", data={"csrf_token": csrf}
    )

    assert page.status_code == action.status_code == 403
    assert "没有权限" in page.text
    assert (await load_certificate(database, certificate_id)).status == CertificateStatus.PENDING


async def test_a_consumer_gets_403_and_an_unknown_status_422(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com", roles=(Role.CONSUMER,))
    await sign_in_page(client, "buyer@example.com")
    assert (await client.get("/admin/certificates")).status_code == 403

    await _signed_in_operator(client, database)
    response = await client.get("/admin/certificates?status=waiting")
    assert response.status_code == 422
    assert (await client.get("/admin/certificates?status=")).status_code == 200


async def test_pages_render_in_english(client: httpx.AsyncClient, database: Database) -> None:
    cooperative_id = await _signed_in_supplier(client, database)
    response = await client.get(f"/coop/{cooperative_id}/certificates?lang=en")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
