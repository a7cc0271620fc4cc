"""The app's media storage (photos and scans): for the routes that read or write it, and how
its files are served."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from app.core.storage import MediaStorage
from app.web.security_headers import CSP

# An uploaded file is data, never a page of the site: nothing in it runs, nothing loads but
# the image itself, and the browser treats it as a sandboxed document of no origin.
MEDIA_POLICY = "default-src 'none'; img-src 'self'; sandbox"


def request_media(request: Request) -> MediaStorage:
    """The storage the app was built with (app.main)."""
    media: MediaStorage = request.app.state.media
    return media


async def _media(request: Request) -> MediaStorage:
    # A coroutine: FastAPI runs a plain function dependency in its thread pool, a hop that
    # costs more than the whole lookup on a cached listing.
    return request_media(request)


Media = Annotated[MediaStorage, Depends(_media)]


class MediaFiles(StaticFiles):
    """Uploaded files as served under /media: with the sandbox policy (and nosniff, from the
    site's headers), and PDFs (certificate scans) as downloads, never shown inline by the
    browser's own viewer under the site's origin."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers[CSP] = MEDIA_POLICY
        name = os.path.basename(full_path)
        if name.endswith(".pdf"):
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
