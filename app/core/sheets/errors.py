"""Why an uploaded table was refused: one 422 error per kind, each naming the upload field."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import ValidationFailed


class SheetError(ValidationFailed):
    """An uploaded CSV or XLSX file that cannot be read as asked; nothing was imported.

    Messages are English API text, like every domain error; a page that wants Chinese maps the
    class (and its attributes: `limit`, `missing`, …) to a translated sentence."""

    code = "unreadable_file"

    def __init__(self, message: str, *, detail: str, field: str = "file") -> None:
        super().__init__(message, fields={field: detail})
        self.detail = detail

    def for_field(self, field: str) -> SheetError:
        """The same error reported on another upload field (gift orders upload `recipients`)."""
        self.fields = {field: self.detail}
        return self


class UnsupportedFile(SheetError):
    """Neither CSV text nor an XLSX workbook: an image, a PDF, an old .xls, another archive."""

    code = "unsupported_file"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The file is {what}: not a CSV or XLSX table. Save it as .xlsx or .csv and try again.",
            detail="not a CSV or XLSX file",
        )


class EmptyFile(SheetError):
    code = "empty_file"

    def __init__(self, *, header_only: bool = False) -> None:
        if header_only:
            message = "The file has a header row but no rows under it."
        else:
            message = "The file is empty."
        super().__init__(message, detail="no rows")


class TooManyRows(SheetError):
    code = "too_many_rows"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file has more than {limit:,} rows, the most one upload may hold; "
            f"split it into files of at most {limit:,} rows.",
            detail=f"at most {limit:,} rows",
        )
        self.limit = limit


class MissingColumns(SheetError):
    """Required columns absent from the header row; `missing` holds their canonical names."""

    code = "missing_columns"

    def __init__(self, missing: Sequence[str], spellings: Sequence[Sequence[str]]) -> None:
        names = ", ".join(missing)
        wanted = "; ".join(
            f"{column} (headed {' or '.join(heads)})"
            for column, heads in zip(missing, spellings, strict=True)
        )
        super().__init__(
            f"The header row lacks the column(s) {wanted}.",
            detail=f"missing columns: {names}",
        )
        self.missing = tuple(missing)


class DuplicateColumns(SheetError):
    """Two header cells name the same column (say `quantity` and `数量`): which one is meant?"""

    code = "duplicate_columns"

    def __init__(self, duplicated: Sequence[str]) -> None:
        names = ", ".join(duplicated)
        super().__init__(
            f"The header row names the column(s) {names} more than once; keep one of each.",
            detail=f"duplicate columns: {names}",
        )
        self.duplicated = tuple(duplicated)


class UnreadableFile(SheetError):
    """A CSV or XLSX file that is damaged, in an unknown text encoding, or malformed."""

    code = "unreadable_file"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The file cannot be read: {reason}.", detail=reason)


class WorkbookTooLarge(SheetError):
    """An XLSX whose parts would expand past the bounds (a zip bomb, or far more than a list)."""

    code = "file_too_large"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The workbook is refused: {reason}. Save only the list itself as .xlsx or .csv.",
            detail=reason,
        )
