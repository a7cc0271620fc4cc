"""/docs: Swagger UI for the JSON API, served from the site itself.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script, both of
which the site's Content-Security-Policy refuses; this one loads the vendored copy
(static/vendor/swagger-ui) and starts it from static/js/api-docs.js. ReDoc is not offered.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.web.security_headers import CSP, content_security_policy

router = APIRouter(include_in_schema=False)

_VENDOR = "/static/vendor/swagger-ui"
_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Fengshou 丰收 API</title>
  <link rel="stylesheet" href="{_VENDOR}/swagger-ui.css">
  <link rel="icon" href="{_VENDOR}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="{_VENDOR}/swagger-ui-bundle.js"></script>
  <script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


# Swagger UI's stylesheet draws its icons as data: URIs; images only, and on this page only.
_HEADERS = {CSP: content_security_policy({"img-src": ("data:",)})}


@router.get("/docs", response_class=HTMLResponse)
async def api_docs() -> HTMLResponse:
    """The interactive documentation of the JSON API."""
    return HTMLResponse(_PAGE, headers=_HEADERS)
