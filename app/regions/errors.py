"""Errors of the regions domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from app.core.errors import NotFound, ValidationFailed


class CountyNotFound(NotFound):
    code = "county_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"No county has the code {code}.")


class ProvinceUnknown(ValidationFailed):
    """A province filter that is well-formed but names no province."""

    code = "unknown_province"

    def __init__(self, code: str, *, field: str = "province") -> None:
        super().__init__(f"No province has the code {code}.", fields={field: "unknown province"})


class PrefectureUnknown(ValidationFailed):
    """A prefecture filter that is well-formed but names no prefecture."""

    code = "unknown_prefecture"

    def __init__(self, code: str, *, field: str = "prefecture") -> None:
        super().__init__(
            f"No prefecture has the code {code}.", fields={field: "unknown prefecture"}
        )


class PageOutOfRange(NotFound):
    code = "page_out_of_range"

    def __init__(self, page: int, last_page: int) -> None:
        super().__init__(
            f"Page {page} is beyond the last page ({last_page}).",
            fields={"page": f"at most {last_page}"},
        )
