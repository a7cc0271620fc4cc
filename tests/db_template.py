"""The shared test database on SQLite, built once and copied for each test session.

Migrating a new SQLite database and loading the reference data costs a session about 1.5 s:
little once per xdist worker, but most of a mutant's time in a mutation run, where each mutant
is a test session of its own (`make mutation`). So the first session builds the database with
the real migrations and keeps it under a key that changes with anything that could change
what it holds (migrations, the app's and the search index's code, the reference data); the
others copy the kept file.

PostgreSQL databases are still migrated per session: a kept template there would be a
database per version of the code left on the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the migrations and the reference data loader read (search: the index's DDL).
_SOURCES = (("migrations", "*.py"), ("app", "*.py"), ("search", "*.py"), ("data", "*"))
_KEPT_PREFIX = "fengshou-test-db-"
# mutmut's names for a session that runs the code as written: no mutant, or its first run
# mapping tests to functions. Any other value names the mutant the session runs.
_NO_MUTANT = ("", "stats")
# Kept databases of other versions of the code are removed once this old.
_STALE_AFTER_SECONDS = 24 * 3600


def template_key(root: Path = ROOT) -> str:
    """A digest of every file that builds the database, with its path."""
    digest = hashlib.sha256()
    files = [root / "alembic.ini"]
    for folder, pattern in _SOURCES:
        files.extend(path for path in (root / folder).rglob(pattern) if path.is_file())
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def kept_folder() -> Path:
    return Path(tempfile.gettempdir())


def copy_of_kept_database(
    target: Path, build: Callable[[Path], None], *, key: str | None = None
) -> None:
    """Write at `target` a copy of the kept database for `key` (this code's, by default),
    first making it with `build(path)` (migrations and reference data into a new SQLite file
    at `path`) when it is not kept yet."""
    if os.environ.get("MUTANT_UNDER_TEST", "") not in _NO_MUTANT:
        build(target)  # built under a mutant: not kept for the sessions of other mutants
        return
    folder = kept_folder()
    kept = folder / f"{_KEPT_PREFIX}{key or template_key()}.sqlite3"
    if not kept.exists():
        building = folder / f"{_KEPT_PREFIX}building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        fresh = building.with_suffix(".sqlite3")
        try:
            build(fresh)
            _backup(fresh, building)  # one self-contained file (WAL folded in)
            # Sessions building at once each rename a complete file over the same name.
            os.replace(building, kept)
        finally:
            for leftover in (fresh, building, *_wal_files(fresh)):
                leftover.unlink(missing_ok=True)
        _remove_stale(folder, keep=kept)
    _backup(kept, target)


def _backup(source: Path, target: Path) -> None:
    """Copy a SQLite database through SQLite's backup API: consistent whatever its journal."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing)


def _wal_files(database: Path) -> list[Path]:
    return [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")]


def _remove_stale(folder: Path, *, keep: Path) -> None:
    now = time.time()
    for path in folder.glob(f"{_KEPT_PREFIX}*.sqlite3"):
        try:
            if path != keep and now - path.stat().st_mtime > _STALE_AFTER_SECONDS:
                path.unlink()
        except OSError:
            continue  # another session removed it first
