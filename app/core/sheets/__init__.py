"""Uploaded tables (CSV or XLSX) read safely into rows, and exports written safely: no domain."""

from app.core.sheets.errors import (
    DuplicateColumns,
    EmptyFile,
    MissingColumns,
    SheetError,
    TooManyRows,
    UnreadableFile,
    UnsupportedFile,
    WorkbookTooLarge,
)
from app.core.sheets.formats import (
    MAX_CELLS,
    MAX_COMPRESSION_RATIO,
    MAX_SHARED_STRINGS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    SheetFormat,
    detect_format,
)
from app.core.sheets.reading import (
    DEFAULT_ALIASES,
    DEFAULT_MAX_ROWS,
    Row,
    Table,
    normalize_header,
    read_table,
)
from app.core.sheets.writing import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    escape_formula,
    write_csv,
    write_xlsx,
)

__all__ = [
    "CSV_MEDIA_TYPE",
    "DEFAULT_ALIASES",
    "DEFAULT_MAX_ROWS",
    "MAX_CELLS",
    "MAX_COMPRESSION_RATIO",
    "MAX_SHARED_STRINGS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_MEMBERS",
    "XLSX_MEDIA_TYPE",
    "Cell",
    "DuplicateColumns",
    "EmptyFile",
    "MissingColumns",
    "Row",
    "SheetError",
    "SheetFormat",
    "Table",
    "TooManyRows",
    "UnreadableFile",
    "UnsupportedFile",
    "WorkbookTooLarge",
    "detect_format",
    "escape_formula",
    "normalize_header",
    "read_table",
    "write_csv",
    "write_xlsx",
]
