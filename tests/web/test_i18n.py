"""zh-CN is the source language; the English catalog must translate every message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT
from app.web.i18n import TRANSLATIONS_DIR


def test_english_catalog_translates_every_extracted_message(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--ignore-dirs",
            ".*",
            "-o",
            str(pot),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string and not m.fuzzy}
    assert len(extracted) > 50
    assert sorted(extracted - translated, key=str) == []


async def test_pages_speak_english_when_asked(client: httpx.AsyncClient) -> None:
    chinese = await client.get("/login")
    assert "登录" in chinese.text and "Sign in" not in chinese.text
    english = await client.get("/login?lang=en")
    assert "Sign in" in english.text and "登录" not in english.text.split("<main")[1]
