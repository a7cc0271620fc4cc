"""The wording of an uploaded sheet's refusal (app.core.sheets' errors), for every page that
takes one."""

from __future__ import annotations

from fastapi import UploadFile

from app.core.errors import DomainError
from app.core.sheets.errors import TooManyRows
from app.web.i18n import gettext as _


def sheet_problem(error: DomainError, *, missing_columns: str) -> str | None:
    """Why the file was refused, in the page's language; None for an error that is not about
    the file itself. `missing_columns` names the columns the page's sheet needs."""
    if isinstance(error, TooManyRows):
        return _("文件超过 %(limit)s 行。一次最多上传 %(limit)s 行，请拆分后分别上传。") % {
            "limit": f"{error.limit:,}"
        }
    return {
        "unsupported_file": _(
            "文件不是 CSV 或 XLSX 表格。请用 Excel 另存为 .xlsx 或 .csv 后重新上传。"
        ),
        "empty_file": _("文件是空的，或只有表头没有数据行。"),
        "missing_columns": missing_columns,
        "duplicate_columns": _("表头有重复的列，请每列只保留一个。"),
        "unreadable_file": _("文件无法读取（可能已损坏，或编码无法识别），请用 Excel 另存后重试。"),
        "file_too_large": _("文件过大或含有异常的压缩内容，请只保存清单本身后重试。"),
        "payload_too_large": _("文件过大，请只保存清单本身后重试。"),
        "upload_too_large": _("文件过大，请只保存清单本身后重试。"),
    }.get(error.code)


async def read_bounded(file: UploadFile, limit: int) -> bytes:
    """The upload, read no further than one byte past `limit` (the caller refuses that)."""
    return await file.read(limit + 1)
