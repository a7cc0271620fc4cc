"""What the proof routes share: the document format asked for, the statement's year, the
configured PDF font, and how a file is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from app.config import Settings
from app.impact.schemas import YEAR_MAX, YEAR_MIN
from app.proof.service import ProofFile
from app.web.responses import attachment

DocumentFormat = Annotated[
    Literal["html", "pdf"],
    Query(alias="format", description="`html` (printable page, the default) or `pdf`"),
]
StatementYear = Annotated[
    int,
    PathParam(ge=YEAR_MIN, le=YEAR_MAX, description="Reporting year in China Standard Time"),
]


async def _pdf_font(request: Request) -> Path | None:
    settings: Settings = request.app.state.settings
    return settings.pdf_font


# FENGSHOU_PDF_FONT, or None: the PDF module looks for an installed Chinese font.
PdfFontSetting = Annotated[Path | None, Depends(_pdf_font)]


def send_file(file: ProofFile, *, inline: bool = False) -> Response:
    """The file as a download; `inline` lets a browser show a PDF before it is saved."""
    return attachment(file, inline=inline)
