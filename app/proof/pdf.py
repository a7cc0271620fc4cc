"""Purchase certificates and yearly statements as PDF files, in Chinese, with the font found here.

Why fpdf2: it is pure Python (wheels only: fpdf2, fonttools, defusedxml, and Pillow, which the
project has already), so `make run` on a fresh machine needs no system library (WeasyPrint
would want Pango and Cairo); it is kept by the py-pdf group, which keeps pypdf too, ships its
own type hints, embeds TrueType fonts subset with fontTools (a certificate carries only the
glyphs it prints: about 20 KB, not the font's 5 MB), reads a face of a TrueType collection
(`collection_font_number`, for Debian's wqy-microhei.ttc), writes a ToUnicode map (so the text
can be searched and extracted) and lays out tables that break across pages with their headings
repeated. ReportLab would do as well, but is untyped and its table layout heavier to drive.

The font: FENGSHOU_PDF_FONT when set (only that file), else the first TrueType font that covers
Chinese among the known Debian paths and what fontconfig lists. Without one, no PDF is made
(PdfFontMissing, 503): a PDF with empty boxes for every character would be worse than none.
The search runs once per process and setting: a font installed later needs a restart.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError  # type: ignore[import-untyped]
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos

from app.core.clock import CHINA_TZ
from app.core.money import format_yuan
from app.proof.schemas import Certificate, OrganizationHeading, Statement

log = logging.getLogger(__name__)

# Debian's packages first (`make test` installs fonts-wqy-microhei), then what fontconfig knows.
KNOWN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
# A font must draw these to print a certificate (a few common characters and the yuan sign).
_REQUIRED_TEXT = "消费帮扶采购凭证县单位元¥"
FAMILY = "cjk"
_MARGIN_MM = 15
_FIELD_WIDTHS = (42, 138)


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection (.ttc), the face to use."""

    path: Path
    index: int = 0


def _covers_chinese(font: FontFile) -> bool:
    """Whether the file is a TrueType font (glyph outlines fpdf2 subsets) that maps every
    character of _REQUIRED_TEXT."""
    try:
        with TTFont(font.path, fontNumber=font.index, lazy=True) as face:
            if "glyf" not in face:
                return False
            cmap = face.getBestCmap() or {}
            return all(ord(char) in cmap for char in _REQUIRED_TEXT)
    except (OSError, TTLibError, ValueError, KeyError, AssertionError):
        return False


def _fontconfig_fonts() -> list[FontFile]:
    """The fonts fontconfig says cover Simplified Chinese, by path (none without fc-list)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listed = subprocess.run(  # noqa: S603  (a fixed command, no user input)
            [fc_list, "-f", "%{file}\t%{index}\n", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: list[FontFile] = []
    for line in sorted(set(listed.splitlines())):
        path, _, index = line.partition("\t")
        if path:
            found.append(FontFile(Path(path), int(index) if index.isdigit() else 0))
    return found


@functools.lru_cache(maxsize=4)
def find_font(configured: Path | None) -> FontFile | None:
    """The font PDFs are drawn with, or None when no usable one is installed."""
    if configured is not None:
        chosen = FontFile(configured)
        if _covers_chinese(chosen):
            return chosen
        log.warning("FENGSHOU_PDF_FONT %s is not a TrueType font covering Chinese", configured)
        return None
    for candidate in (*(FontFile(p) for p in KNOWN_FONTS), *_fontconfig_fonts()):
        if candidate.path.is_file() and _covers_chinese(candidate):
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# Layout


def _yuan(amount_fen: int | None) -> str:
    return "" if amount_fen is None else format_yuan(amount_fen)


def _moment(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _day(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(CHINA_TZ).date().isoformat()


class _Document(FPDF):
    """A4 portrait in the Chinese font, with the page number and issue time in the footer."""

    def __init__(self, font: FontFile, *, title: str, issued_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.issued_at = issued_at
        self.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
        self.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=_MARGIN_MM + 5)
        self.set_title(title)
        self.set_author("丰收消费帮扶商城")
        self.set_creator("Fengshou")
        self.set_lang("zh-CN")
        self.set_creation_date(issued_at)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-_MARGIN_MM)
        self.set_font(FAMILY, size=8)
        self.set_text_color(110)
        self.cell(
            0,
            5,
            f"丰收消费帮扶商城 · 出具时间 {_moment(self.issued_at)}（北京时间） · "
            f"第 {self.page_no()} 页 / 共 {{nb}} 页",
            align=Align.C,
        )
        self.set_text_color(0)

    def heading(self, title: str, subtitle: str) -> None:
        self.set_font(FAMILY, size=18)
        self.cell(0, 11, title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=9)
        self.set_text_color(90)
        self.cell(0, 6, subtitle, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(3)

    def section(self, title: str) -> None:
        self.ln(3)
        self.set_font(FAMILY, size=12)
        self.cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=9)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value rows, without rules."""
        self.set_font(FAMILY, size=10)
        with self.table(
            col_widths=_FIELD_WIDTHS,
            width=sum(_FIELD_WIDTHS),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            wrapmode=WrapMode.CHAR,
            line_height=6,
            text_align=(Align.L, Align.L),
        ) as table:
            for label, value in pairs:
                row = table.row()
                row.cell(label, style=FontFace(color=(90, 90, 90)))
                row.cell(value)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        numeric: Sequence[int] = (),
    ) -> None:
        """A ruled table, headings shaded and repeated on each page; `numeric` columns right."""
        self.set_font(FAMILY, size=9)
        aligns = tuple(Align.R if i in numeric else Align.L for i in range(len(headings)))
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            headings_style=FontFace(emphasis="", fill_color=(232, 240, 232)),
            wrapmode=WrapMode.CHAR,
            line_height=5.5,
            text_align=aligns,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        ) as table:
            for cells in (headings, *rows):
                row = table.row()
                for text in cells:
                    row.cell(text)

    def note(self, text: str) -> None:
        self.ln(4)
        self.set_font(FAMILY, size=8.5)
        self.set_text_color(90)
        self.multi_cell(0, 4.5, text, wrapmode=WrapMode.CHAR)
        self.set_text_color(0)

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())


def _organization_fields(organization: OrganizationHeading) -> list[tuple[str, str]]:
    return [
        ("采购单位", organization.name),
        ("统一社会信用代码", organization.credit_code),
        ("单位类型", organization.kind_name),
        ("注册地", organization.region_name),
    ]


def certificate_pdf(certificate: Certificate, font: FontFile) -> bytes:
    """A purchase certificate (消费帮扶采购凭证) on one or more A4 pages."""
    pdf = _Document(
        font,
        title=f"消费帮扶采购凭证 {certificate.order_number}",
        issued_at=certificate.issued_at,
    )
    pdf.heading("消费帮扶采购凭证", f"凭证编号 {certificate.document_number}")
    pdf.fields(
        [
            *_organization_fields(certificate.organization),
            ("订单号", certificate.order_number),
            ("采购单号", certificate.po_number or "—"),
            ("下单时间", _moment(certificate.placed_at)),
            ("付款时间", _moment(certificate.paid_at)),
            ("商品金额", _yuan(certificate.goods_fen)),
            ("运费（不计入帮扶）", _yuan(certificate.shipping_fen)),
            ("已退款", _yuan(certificate.refunded_fen)),
            ("计入帮扶金额", _yuan(certificate.benefit_fen)),
            ("带动脱贫户数", f"{certificate.households_supported} 户"),
        ]
    )
    pdf.section("产地县")
    pdf.grid(
        ("产地县", "所在省份", "供应商", "采购额", "退款", "帮扶净额", "带动户数"),
        [
            (
                county.name,
                county.province_name,
                "、".join(county.cooperative_names),
                _yuan(county.sold_fen),
                _yuan(county.refunded_fen),
                _yuan(county.net_fen),
                str(county.households_supported),
            )
            for county in certificate.counties
        ],
        (26, 20, 44, 24, 22, 24, 20),
        numeric=(3, 4, 5, 6),
    )
    pdf.section("商品明细")
    pdf.grid(
        ("商品", "规格", "产地县", "数量", "单价", "金额", "退款"),
        [
            (
                line.title,
                line.sku_name,
                line.county_name,
                f"{line.quantity}"
                + (f"（退 {line.refunded_quantity}）" if line.refunded_quantity else ""),
                _yuan(line.unit_price_fen),
                _yuan(line.line_total_fen),
                _yuan(line.refunded_fen),
            )
            for line in certificate.lines
        ],
        (48, 24, 24, 20, 20, 22, 22),
        numeric=(3, 4, 5, 6),
    )
    pdf.note(
        "本凭证依据丰收平台消费帮扶台账出具：帮扶金额为商品金额（不含运费），已扣除退款；"
        "带动脱贫户数为仍计入帮扶的供应商所带动的户数。可随单位预留份额考核材料存档。"
    )
    return pdf.pdf_bytes()


def statement_pdf(statement: Statement, font: FontFile) -> bytes:
    """A yearly statement (年度消费帮扶采购对账单): target, months, counties, orders."""
    pdf = _Document(
        font,
        title=f"{statement.year} 年度消费帮扶采购对账单 {statement.organization.name}",
        issued_at=statement.issued_at,
    )
    pdf.heading(
        f"{statement.year} 年度消费帮扶采购对账单",
        "报告期按北京时间计；金额为商品金额（不含运费），已扣除退款",
    )
    pdf.fields(
        [
            *_organization_fields(statement.organization),
            ("年度食堂食材采购预算", _yuan(statement.canteen_budget_fen) or "未申报"),
            ("预留比例", statement.reserved_share_percent or "未申报"),
            ("预留份额目标", _yuan(statement.target_fen) or "未申报"),
            ("已采购（净额）", _yuan(statement.purchased_fen)),
            ("完成进度", statement.progress_percent or "—"),
            ("尚需采购", _yuan(statement.remaining_fen) or "—"),
            ("订单数", str(statement.order_count)),
            ("带动脱贫户数", f"{statement.households_supported} 户"),
        ]
    )
    pdf.section("按月")
    pdf.grid(
        ("月份", "帮扶净额", "订单数"),
        [
            *(
                (f"{m.month} 月", _yuan(m.amount_fen), str(m.order_count))
                for m in statement.by_month
            ),
            ("合计", _yuan(statement.purchased_fen), str(statement.order_count)),
        ],
        (40, 50, 30),
        numeric=(1, 2),
    )
    pdf.section("按产地县")
    pdf.grid(
        ("产地县", "所在省份", "采购额", "退款", "帮扶净额", "订单数", "带动户数"),
        [
            *(
                (
                    c.name,
                    c.province_name,
                    _yuan(c.sold_fen),
                    _yuan(c.refunded_fen),
                    _yuan(c.net_fen),
                    str(c.order_count),
                    str(c.households_supported),
                )
                for c in statement.by_county
            ),
            (
                "合计",
                "",
                _yuan(statement.sold_fen),
                _yuan(statement.refunded_fen),
                _yuan(statement.purchased_fen),
                "",
                str(statement.households_supported),
            ),
        ],
        (32, 24, 26, 24, 26, 22, 26),
        numeric=(2, 3, 4, 5, 6),
    )
    if statement.by_month_county:
        pdf.section("按月按产地县")
        pdf.grid(
            ("月份", "产地县", "所在省份", "帮扶净额"),
            [
                (f"{r.month} 月", r.county_name, r.province_name, _yuan(r.amount_fen))
                for r in statement.by_month_county
            ],
            (30, 50, 50, 50),
            numeric=(3,),
        )
    pdf.section("订单")
    pdf.grid(
        ("订单号", "采购单号", "付款日期", "产地县", "采购额", "退款", "帮扶净额"),
        [
            (
                o.number,
                o.po_number or "",
                _day(o.paid_at),
                "、".join(o.county_names),
                _yuan(o.sold_fen),
                _yuan(o.refunded_fen),
                _yuan(o.net_fen),
            )
            for o in statement.orders
        ],
        (36, 22, 22, 34, 22, 22, 22),
        numeric=(4, 5, 6),
    )
    pdf.note(
        "本对账单依据丰收平台消费帮扶台账出具，与平台“单位采购进度”报表一致；"
        "某年付款、次年退款的订单，退款计入退款所在年度。可随单位预留份额考核材料存档。"
    )
    return pdf.pdf_bytes()
