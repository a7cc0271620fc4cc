"""Media storage behind a small interface: local disk under var/media now, object storage later."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[a-z0-9][a-z0-9/_.-]{0,199}$")


class MediaStorage(Protocol):
    async def save(self, key: str, data: bytes) -> None: ...

    async def read(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


def check_key(key: str) -> str:
    """Keys are relative, lower-case paths without '..': safe as file names and object keys."""
    if not _KEY.match(key) or ".." in key or "//" in key:
        raise ValueError(f"invalid media key {key!r}")
    return key


class LocalMediaStorage:
    """Files under `root`, served by the app at `url_prefix`."""

    def __init__(self, root: Path, url_prefix: str = "/media") -> None:
        self.root = root
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def save(self, key: str, data: bytes) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(path.suffix + ".part")
            temporary.write_bytes(data)
            temporary.replace(path)  # readers never see half a file

        await asyncio.to_thread(write)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self.url_prefix}/{check_key(key)}"


MEDIA_URL_PREFIX = "/media"


def media_storage(media_dir: Path) -> MediaStorage:
    """The storage the app and its jobs use (the one place to swap in object storage)."""
    return LocalMediaStorage(media_dir, url_prefix=MEDIA_URL_PREFIX)
