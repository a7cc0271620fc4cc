"""Static files under content-hashed names, cached by browsers for a year.

`static_url("css/site.css")` (a template global) gives `/static/css/site.<hash>.css`, the hash
being the first 12 hex digits of the file's SHA-256, computed once per process for the whole
folder. The route serves such a name only while the hash is the file's current one, with
`Cache-Control: public, max-age=31536000, immutable`: a changed file gets a new address, so no
browser ever keeps a stale copy. Plain names (`/static/css/site.css`, which older markup and
Swagger UI's files still use) are served as before, revalidated on each use.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12
# name.<12 hex digits>.ext: the hash sits before the last extension.
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[^./\\]+)$")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


@cache
def manifest(directory: Path = STATIC_DIR) -> dict[str, str]:
    """Every file of the folder (as a '/'-separated relative name) and its content hash."""
    return {
        path.relative_to(directory).as_posix(): file_hash(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def hashed_name(name: str, digest: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{ext}"


def static_url(name: str) -> str:
    """The hashed address of a static file; KeyError for a file that does not exist, so that a
    mistyped name fails the page's tests rather than shipping a broken link."""
    name = name.lstrip("/")
    return STATIC_PREFIX + hashed_name(name, manifest()[name])


def unhashed(path: str) -> tuple[str, str] | None:
    """(the file's own name, the hash asked for) of a hashed name, None for a plain one."""
    match = _HASHED.match(path.replace(os.sep, "/"))
    if match is None:
        return None
    return match["stem"] + match["ext"], match["hash"]


class HashedStaticFiles(StaticFiles):
    """/static: hashed names served immutable, plain names revalidated. A hashed name whose
    hash is not the file's (an old or made-up address) is 404, never another version."""

    def __init__(self, *, directory: Path = STATIC_DIR) -> None:
        super().__init__(directory=directory)
        self.root = directory

    async def get_response(self, path: str, scope: Scope) -> Response:
        split = unhashed(path)
        if split is not None:
            name, digest = split
            if manifest(self.root).get(name) != digest:
                raise HTTPException(status_code=404)
            response = await super().get_response(name, scope)
            response.headers["Cache-Control"] = IMMUTABLE
            return response
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", REVALIDATE)
        return response
