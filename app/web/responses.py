"""The responses pages answer with besides a rendered template."""

from __future__ import annotations

from typing import Protocol

from fastapi.responses import RedirectResponse, Response


def see_other(location: str) -> RedirectResponse:
    """After a form is handled: go (GET) to the page that shows the outcome."""
    return RedirectResponse(location, status_code=303)


class File(Protocol):
    """A generated file: an export, a report, a certificate."""

    @property
    def content(self) -> bytes: ...
    @property
    def media_type(self) -> str: ...
    @property
    def filename(self) -> str: ...


def attachment(file: File, *, inline: bool = False) -> Response:
    """The file to save (`inline`: one a browser may show first, such as a PDF). Filenames are
    the app's own ASCII names, never the user's."""
    disposition = "inline" if inline else "attachment"
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{file.filename}"'},
    )
