"""The real app for bench/catalog.py, plus floor routes that return precomputed bodies.

A floor route runs through the same server process, middleware stack and connection handling
as the measured routes but does no work of its own: it answers with bytes prepared before the
server started, of the same size as the measured response. Its speed is the ceiling the
measured route could reach, so the ratio of the two isolates the cost of the route itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

from app.main import create_app

FLOOR_JSON_PATH = "/bench/floor.json"
FLOOR_HTML_PATH = "/bench/floor.html"
# Set by bench/catalog.py: files holding the bodies to answer with.
JSON_BODY_ENV = "FENGSHOU_BENCH_FLOOR_JSON"
HTML_BODY_ENV = "FENGSHOU_BENCH_FLOOR_HTML"


def create_floor_app() -> FastAPI:
    """create_app() with the two floor routes added (a uvicorn factory)."""
    app = create_app()
    json_body = Path(os.environ[JSON_BODY_ENV]).read_bytes()
    html_body = Path(os.environ[HTML_BODY_ENV]).read_bytes()

    async def floor_json() -> Response:
        return Response(json_body, media_type="application/json")

    async def floor_html() -> Response:
        return Response(html_body, media_type="text/html; charset=utf-8")

    app.add_api_route(FLOOR_JSON_PATH, floor_json, include_in_schema=False)
    app.add_api_route(FLOOR_HTML_PATH, floor_html, include_in_schema=False)
    return app
