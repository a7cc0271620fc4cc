"""The floor of bench/pages.py: a bare Starlette app answering with precomputed bytes.

No middleware, no routing beyond one path, no database: it answers with the bytes of a
measured page, read before the server started. Served by the same uvicorn (one worker, same
flags) as the app, its speed is what the server and the load generator can do at all on this
machine, so `page req/s ÷ floor req/s` is the share of that capacity a page leaves.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FLOOR_PATH = "/floor"
# Set by bench/pages.py: the file holding the body to answer with, and its media type.
BODY_ENV = "FENGSHOU_BENCH_FLOOR_BODY"
MEDIA_TYPE_ENV = "FENGSHOU_BENCH_FLOOR_MEDIA_TYPE"


def create_floor_app() -> Starlette:
    """The bare app (a uvicorn factory); /healthz answers too, for bench/serving.py."""
    body = Path(os.environ[BODY_ENV]).read_bytes()
    media_type = os.environ.get(MEDIA_TYPE_ENV, "text/html; charset=utf-8")

    async def floor(request: Request) -> Response:
        return Response(body, media_type=media_type)

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route(FLOOR_PATH, floor), Route("/healthz", healthz)])
