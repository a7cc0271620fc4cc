"""The app's media storage (photos and scans), for the routes that read or write it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.storage import MediaStorage


def request_media(request: Request) -> MediaStorage:
    """The storage the app was built with (app.main)."""
    media: MediaStorage = request.app.state.media
    return media


async def _media(request: Request) -> MediaStorage:
    # A coroutine: FastAPI runs a plain function dependency in its thread pool, a hop that
    # costs more than the whole lookup on a cached listing.
    return request_media(request)


Media = Annotated[MediaStorage, Depends(_media)]
