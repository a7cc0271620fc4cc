"""The kept test database (tests/db_template.py): built once per key, copied whole, never
kept when built under a mutant."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import db_template


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kept"
    folder.mkdir()
    monkeypatch.setattr(db_template, "kept_folder", lambda: folder)
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    return folder


def _build_counting(builds: list[Path]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        builds.append(path)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE t (n INTEGER)")
            connection.execute("INSERT INTO t VALUES (?)", (len(builds),))
        connection.close()

    return build


def _rows(path: Path) -> list[tuple[int]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT n FROM t").fetchall()
    connection.close()
    return rows


def test_the_database_is_built_once_and_each_session_gets_a_copy(
    kept_in: Path, tmp_path: Path
) -> None:
    builds: list[Path] = []
    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    db_template.copy_of_kept_database(first, _build_counting(builds), key="k1")
    db_template.copy_of_kept_database(second, _build_counting(builds), key="k1")
    assert len(builds) == 1
    assert _rows(first) == _rows(second) == [(1,)]
    # A copy of its own: a write to one shows in neither the other nor the kept file.
    with sqlite3.connect(first) as connection:
        connection.execute("INSERT INTO t VALUES (9)")
    connection.close()
    assert _rows(second) == [(1,)]
    assert _rows(kept_in / "fengshou-test-db-k1.sqlite3") == [(1,)]
    # Nothing of the build is left but the kept file (its WAL folded in).
    assert sorted(path.name for path in kept_in.iterdir()) == ["fengshou-test-db-k1.sqlite3"]


def test_another_key_builds_again(kept_in: Path, tmp_path: Path) -> None:
    builds: list[Path] = []
    db_template.copy_of_kept_database(tmp_path / "a.sqlite3", _build_counting(builds), key="k1")
    db_template.copy_of_kept_database(tmp_path / "b.sqlite3", _build_counting(builds), key="k2")
    assert len(builds) == 2
    assert _rows(tmp_path / "b.sqlite3") == [(2,)]


def test_a_database_built_under_a_mutant_is_not_kept(
    kept_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[Path] = []
    monkeypatch.setenv("MUTANT_UNDER_TEST", "app.core.money.x_format_yuan__mutmut_3")
    target = tmp_path / "mutant.sqlite3"
    db_template.copy_of_kept_database(target, _build_counting(builds), key="k1")
    assert builds == [target]
    assert list(kept_in.iterdir()) == []
    monkeypatch.setenv("MUTANT_UNDER_TEST", "")
    db_template.copy_of_kept_database(tmp_path / "clean.sqlite3", _build_counting(builds), key="k1")
    assert len(builds) == 2
    assert (kept_in / "fengshou-test-db-k1.sqlite3").exists()


def test_a_failed_build_keeps_nothing(kept_in: Path, tmp_path: Path) -> None:
    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("a migration failed")

    with pytest.raises(RuntimeError, match="a migration failed"):
        db_template.copy_of_kept_database(tmp_path / "x.sqlite3", broken, key="k1")
    assert list(kept_in.iterdir()) == []


def test_the_key_changes_with_a_migration(tmp_path: Path) -> None:
    for folder in ("migrations", "app", "search", "data"):
        (tmp_path / folder).mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\n")
    (tmp_path / "migrations" / "one.py").write_text("x = 1\n")
    before = db_template.template_key(tmp_path)
    assert db_template.template_key(tmp_path) == before
    (tmp_path / "migrations" / "one.py").write_text("x = 2\n")
    assert db_template.template_key(tmp_path) != before


def test_a_new_build_removes_kept_databases_a_day_old(kept_in: Path, tmp_path: Path) -> None:
    old, recent = kept_in / "fengshou-test-db-old.sqlite3", kept_in / "fengshou-test-db-new.sqlite3"
    for path in (old, recent):
        path.write_bytes(b"")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    db_template.copy_of_kept_database(tmp_path / "a.sqlite3", _build_counting([]), key="k1")
    assert not old.exists()
    assert recent.exists()
