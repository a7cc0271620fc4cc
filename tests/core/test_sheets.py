"""Reading uploaded CSV/XLSX tables (encodings, headers, limits, hostile files) and writing
exports that a spreadsheet opens as data."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, date, datetime

import httpx
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from app.core.errors import DomainError
from app.core.sheets import (
    MAX_CELLS,
    MAX_SHARED_STRINGS,
    DuplicateColumns,
    EmptyFile,
    MissingColumns,
    SheetError,
    SheetFormat,
    Table,
    TooManyRows,
    UnreadableFile,
    UnsupportedFile,
    WorkbookTooLarge,
    escape_formula,
    normalize_header,
    read_table,
    write_csv,
    write_xlsx,
)
from app.web.errors import install_error_handlers

RECIPIENT_COLUMNS = ("name", "phone", "county_code", "detail")


def read_order(data: bytes, filename: str | None = None, *, max_rows: int = 5000) -> Table:
    return read_table(
        data,
        filename,
        required=("sku_code", "quantity"),
        optional=("delivery_date",),
        max_rows=max_rows,
    )


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


WORKBOOK_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def values(table: Table) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, dict(row.values)) for row in table.rows]


# Reading CSV


@pytest.mark.parametrize(
    "encoded",
    [
        "商品编码,数量\nFS-001,3\nFS-002,10\n".encode(),
        "\ufeff商品编码,数量\r\nFS-001,3\r\nFS-002,10\r\n".encode(),
        "商品编码,数量\r\nFS-001,3\r\nFS-002,10\r\n".encode("gbk"),
        "\ufeff商品编码\t数量\r\nFS-001\t3\r\nFS-002\t10\r\n".encode("utf-16-le"),
        "商品编码;数量\nFS-001;3\nFS-002;10\n".encode(),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "utf-16-tabs", "semicolons"],
)
def test_csv_in_the_encodings_and_separators_excel_writes(encoded: bytes) -> None:
    table = read_order(encoded, "订单.csv")

    assert table.format is SheetFormat.CSV
    assert table.columns == ("sku_code", "quantity")
    assert values(table) == [
        (2, {"sku_code": "FS-001", "quantity": "3", "delivery_date": ""}),
        (3, {"sku_code": "FS-002", "quantity": "10", "delivery_date": ""}),
    ]


def test_gbk_recipients_with_chinese_cells() -> None:
    text = "姓名,电话,区县代码,详细地址\n张三,13800138000,522701,都匀市文峰路 8 号\n"

    table = read_table(text.encode("gbk"), "名单.csv", required=RECIPIENT_COLUMNS)

    assert table.rows[0].values == {
        "name": "张三",
        "phone": "13800138000",
        "county_code": "522701",
        "detail": "都匀市文峰路 8 号",
    }


def test_headers_match_whatever_their_case_width_spacing_and_marks() -> None:
    assert normalize_header(" ＳＫＵ Code ") == "sku_code"
    assert normalize_header("*数量") == "数量"
    text = "\u200b SKU-Code ,*ＱＵＡＮＴＩＴＹ,配送日期,备注\nFS-001, 3 ,2026-09-01,午餐\n"

    table = read_order(text.encode())

    assert table.columns == ("sku_code", "quantity", "delivery_date")
    assert table.ignored_columns == ("备注",)
    assert table.rows[0].values == {
        "sku_code": "FS-001",
        "quantity": "3",
        "delivery_date": "2026-09-01",
    }


def test_callers_may_name_their_own_aliases() -> None:
    table = read_table(
        "货号,件\nFS-001,3\n".encode(),
        None,
        required=("sku_code", "quantity"),
        aliases={"sku_code": ("货号",), "quantity": ("件",)},
    )

    assert table.rows[0].values == {"sku_code": "FS-001", "quantity": "3"}


def test_blank_rows_are_skipped_and_row_numbers_kept() -> None:
    text = "订单明细\n\n商品编码,数量,备注\nFS-001,1,\n\n,,\n , ,只有备注\nFS-002,2,\n"

    table = read_order(text.encode())

    assert table.header_row == 3  # below a title line and a blank line
    assert [row.number for row in table.rows] == [4, 8]


def test_a_formula_in_a_csv_is_plain_text() -> None:
    table = read_order(b"sku_code,quantity\n=1+1,\"=cmd|' /C calc'!A0\"\n")

    assert table.rows[0].values["sku_code"] == "=1+1"
    assert table.rows[0].values["quantity"] == "=cmd|' /C calc'!A0"


def test_content_not_the_name_tells_the_format() -> None:
    assert read_order(b"sku_code,quantity\nA,1\n", "list.xlsx").format is SheetFormat.CSV
    workbook = xlsx([["sku_code", "quantity"], ["A", 1]])
    assert read_order(workbook, "list.csv").format is SheetFormat.XLSX


# Reading XLSX


def test_xlsx_cells_are_read_as_text() -> None:
    data = xlsx(
        [
            ["2026年中秋慰问品订单"],
            ["商品编码", "数量", "配送日期"],
            ["FS-001", 3, datetime(2026, 9, 1)],  # noqa: DTZ001 (spreadsheet cells have no zone)
            [None, None, None],
            [" FS-002 ", 2.0, "2026-09-02"],
            [12345, 2.5, None],
        ]
    )

    table = read_order(data, "订单.xlsx")

    assert table.format is SheetFormat.XLSX
    assert table.header_row == 2
    assert values(table) == [
        (3, {"sku_code": "FS-001", "quantity": "3", "delivery_date": "2026-09-01"}),
        (5, {"sku_code": "FS-002", "quantity": "2", "delivery_date": "2026-09-02"}),
        (6, {"sku_code": "12345", "quantity": "2.5", "delivery_date": ""}),
    ]


def test_an_xlsx_formula_is_read_as_its_text_never_its_cached_value() -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["sku_code", "quantity"])
    sheet.write_string(1, 0, "FS-001")
    sheet.write_formula(1, 1, "=1+1", None, 2)  # Excel would have cached 2
    sheet.write_string(2, 0, "FS-002")
    sheet.write_formula(2, 1, '=HYPERLINK("http://example.invalid","x")', None, "x")
    sheet.write_string(3, 0, "FS-003")
    sheet.write_array_formula(3, 1, 3, 1, "{=SUM(B2:B3*2)}", None, 4)
    workbook.close()

    table = read_order(buffer.getvalue(), "订单.xlsx")

    assert [row["quantity"] for row in table.rows] == [
        "=1+1",
        '=HYPERLINK("http://example.invalid","x")',
        "=SUM(B2:B3*2)",
    ]


def test_an_xlsx_whose_sheet_declares_a_wrong_size_is_read_whole() -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["sku_code", "quantity"])
    for number in range(1, 4):
        sheet.write_row(number, 0, [f"FS-00{number}", number])
    workbook.close()
    patched = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(patched, "w") as target,
    ):
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:B4"/>', b'<dimension ref="A1"/>')
            target.writestr(member, content)

    assert len(read_order(patched.getvalue()).rows) == 3


# Refusals


def test_empty_files_are_refused() -> None:
    for data in (b"", b"  \r\n", "\ufeff".encode(), b",,\n,,\n"):
        with pytest.raises(EmptyFile) as refused:
            read_order(data)
        assert refused.value.code == "empty_file"
    with pytest.raises(EmptyFile):
        read_order(xlsx([]))


def test_a_header_without_rows_is_refused() -> None:
    with pytest.raises(EmptyFile, match="no rows under it"):
        read_order(b"sku_code,quantity\n\n,\n")


def test_more_rows_than_the_limit_are_refused_and_the_message_says_the_limit() -> None:
    lines = ["sku_code,quantity", *(f"FS-{n:05},1" for n in range(5001))]

    with pytest.raises(TooManyRows) as refused:
        read_order("\n".join(lines).encode())

    assert refused.value.code == "too_many_rows"
    assert refused.value.limit == 5000
    assert "5,000" in refused.value.message
    assert len(read_order("\n".join(lines[:-1]).encode()).rows) == 5000


def test_an_xlsx_over_the_limit_is_refused() -> None:
    data = xlsx([["sku_code", "quantity"], *([f"FS-{n}", 1] for n in range(5001))])

    with pytest.raises(TooManyRows, match="5,000"):
        read_order(data)
    assert len(read_order(data, max_rows=5001).rows) == 5001


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (random.Random(7).randbytes(4096), "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), ".xls"),
        (archive({"readme.txt": b"hello"}), "zip archive"),
        (archive({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), ".ods"),
        (b"<html><table><tr><td>sku_code</td></tr></table></html>", "web page"),
    ],
    ids=["png", "pdf", "random", "xls", "zip", "ods", "html"],
)
def test_files_that_are_neither_csv_nor_xlsx_are_unsupported(data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFile, match=what) as refused:
        read_order(data, "订单.xlsx")

    assert refused.value.code == "unsupported_file"


def test_a_zip_bomb_is_refused_before_anything_is_decompressed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in WORKBOOK_PARTS.items():
            zf.writestr(name, content)
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(51):
                member.write(chunk)
    assert len(buffer.getvalue()) < 300_000

    with pytest.raises(WorkbookTooLarge, match="50 MB") as refused:
        read_order(buffer.getvalue())

    assert refused.value.code == "file_too_large"


def test_a_part_inflating_more_than_a_hundredfold_is_refused() -> None:
    data = archive({**WORKBOOK_PARTS, "xl/sharedStrings.xml": bytes(2 * 1024 * 1024)})

    with pytest.raises(WorkbookTooLarge, match="100-fold"):
        read_order(data)


@pytest.mark.parametrize(
    ("part", "element", "bound"),
    [
        ("xl/sharedStrings.xml", b"<si><t>%d</t></si>", MAX_SHARED_STRINGS),
        ("xl/worksheets/sheet1.xml", b'<x:c r="A%d"/>', MAX_CELLS),
    ],
    ids=["shared-strings", "cells"],
)
def test_more_strings_or_cells_than_a_list_needs_are_refused_before_parsing(
    part: str, element: bytes, bound: int
) -> None:
    def workbook(count: int) -> bytes:
        # Over a megabyte: the count runs across the chunks the part is inflated in.
        content = b"<root>" + b"".join(element % n for n in range(count)) + b"</root>"
        return archive({**WORKBOOK_PARTS, part: content})

    with pytest.raises(WorkbookTooLarge, match=f"{bound:,}"):
        read_order(workbook(bound + 1))
    with pytest.raises(UnreadableFile):  # counted, let through, then not a valid workbook
        read_order(workbook(bound))


def test_a_zip_of_too_many_parts_is_refused() -> None:
    data = archive({**WORKBOOK_PARTS, **{f"xl/media/{n}.bin": b"" for n in range(1001)}})

    with pytest.raises(WorkbookTooLarge, match="1000 parts"):
        read_order(data)


def test_damaged_files_and_unknown_encodings_are_unreadable() -> None:
    with pytest.raises(UnreadableFile, match="UTF-8"):
        read_order(b"sku_code,quantity\nA\xff\xfe\x80,1\n")
    with pytest.raises(UnreadableFile, match="not a valid Excel workbook"):
        read_order(archive(WORKBOOK_PARTS))
    with pytest.raises(UnreadableFile, match="damaged zip"):
        read_order(xlsx([["sku_code", "quantity"]])[:200])


def test_missing_columns_are_named_with_the_headers_accepted() -> None:
    with pytest.raises(MissingColumns) as refused:
        read_order("商品编码,备注\nFS-001,x\n".encode())

    assert refused.value.code == "missing_columns"
    assert refused.value.missing == ("quantity",)
    assert "数量" in refused.value.message
    assert refused.value.fields == {"file": "missing columns: quantity"}


def test_the_header_is_looked_for_near_the_top_only() -> None:
    with pytest.raises(MissingColumns) as refused:
        read_order(("说明\n" * 10 + "sku_code,quantity\nA,1\n").encode())
    assert refused.value.missing == ("sku_code", "quantity")
    with pytest.raises(UnreadableFile, match="no header row in its first 1,000 lines"):
        read_order(("\n" * 1000 + "sku_code,quantity\nA,1\n").encode())


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(DuplicateColumns) as refused:
        read_order("sku_code,商品编码,数量\nA,B,1\n".encode())

    assert refused.value.duplicated == ("sku_code",)


async def test_errors_name_the_upload_field_and_render_in_the_contract_form() -> None:
    with pytest.raises(SheetError) as refused:
        read_table(b"", "recipients.csv", required=RECIPIENT_COLUMNS, field="recipients")
    assert isinstance(refused.value, DomainError)
    assert refused.value.status_code == 422
    assert refused.value.fields == {"recipients": "no rows"}

    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/v1/upload")
    async def upload() -> None:
        read_order(b"\x89PNG\r\n\x1a\n")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/api/v1/upload")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported_file"
    assert response.json()["error"]["fields"] == {"file": "not a CSV or XLSX file"}


# Writing exports


def test_escape_formula_follows_owasp() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1"):
        assert escape_formula(text) == "'" + text
    for text in ("FS-001", "张三", "'=1", "", "a=b"):
        assert escape_formula(text) == text


def test_csv_export_escapes_formulas_and_opens_in_excel() -> None:
    data = write_csv(
        ["姓名", "=header"],
        [["=cmd|' /C calc'!A0", -5], ["@SUM(1)", None], ["张三", date(2026, 9, 1)]],
    )

    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[:4] == ["姓名,'=header", "'=cmd|' /C calc'!A0,-5", "'@SUM(1),", "张三,2026-09-01"]


def test_xlsx_export_writes_escaped_text_never_formulas() -> None:
    moment = datetime(2026, 9, 1, 2, 30, tzinfo=UTC)
    data = write_xlsx(
        ["姓名", "数量", "时间"],
        [["=cmd|' /C calc'!A0", -5, moment], ["+86 138", 2.5, None]],
        sheet_name="名单",
    )

    sheet = load_workbook(io.BytesIO(data))["名单"]
    cells = {cell.coordinate: cell for row in sheet.iter_rows() for cell in row}
    assert cells["A2"].data_type == "s"
    assert cells["A2"].value == "'=cmd|' /C calc'!A0"
    assert cells["A3"].value == "'+86 138"
    assert cells["B2"].value == -5
    assert cells["C2"].value == datetime(2026, 9, 1, 10, 30)  # noqa: DTZ001 (China Standard Time, as cells hold it)
    assert all(cell.data_type != "f" for cell in cells.values())


_CELL_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\r\n"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(sku=_CELL_TEXT, name=_CELL_TEXT)
def test_any_text_comes_back_from_a_csv_export_as_written(sku: str, name: str) -> None:
    exported = write_csv(["sku_code", "quantity", "name"], [[sku, 1, name]])

    row = read_table(exported, None, required=("sku_code", "quantity"), optional=("name",)).rows[0]

    assert row.values == {
        "sku_code": escape_formula(sku).strip(),
        "quantity": "1",
        "name": escape_formula(name).strip(),
    }
