"""The home page and the county page render in Chinese; an unknown county is an HTML 404."""

from __future__ import annotations

import httpx


async def test_home_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "国家乡村振兴重点帮扶县" in html
    assert "广西壮族自治区" in html
    assert "脱贫县 33 个" in html  # 广西's count
    assert "覆盖 831 个脱贫县" in html
    # Key-assistance counties, grouped by province, link to their pages.
    assert '<a href="/counties/450225">融水苗族自治县</a>' in html
    assert '<a href="/counties/513431">昭觉县</a>' in html
    # 北京 has no poverty-lifted county and is not listed.
    assert "北京市" not in html


async def test_county_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/counties/653121")
    assert response.status_code == 200
    html = response.text
    for text in ("疏附县", "喀什地区", "新疆维吾尔自治区", "脱贫县", "2019 年脱贫摘帽", "对口支援"):
        assert text in html, text
    assert "广东省" in html
    assert '<span class="badge">脱贫县</span>' in html
    assert "badge-key" not in html  # not a key-assistance county


async def test_key_assistance_county_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/counties/513431")
    assert response.status_code == 200
    html = response.text
    assert '<span class="badge badge-key">国家乡村振兴重点帮扶县</span>' in html
    for text in ("昭觉县", "凉山彝族自治州", "东西部协作", "浙江省"):
        assert text in html, text
    assert "四川省全境" in html


async def test_unknown_county_page_is_an_html_404(client: httpx.AsyncClient) -> None:
    for code in ("999999", "not-a-code", "%00abcde", "6531２1"):
        response = await client.get(f"/counties/{code}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "没有找到这个页面" in response.text
