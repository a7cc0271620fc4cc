"""What a web process does not hold: httpx's command line and the terminal libraries it brings
(click, rich, pygments), which no process of ours uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_imports_httpx_without_its_command_line() -> None:
    code = (
        "import sys\n"
        "import app.main, httpx\n"
        "names = ('rich', 'pygments', 'httpx._main')\n"
        "print(*(sys.modules.get(name) is not None for name in names))\n"
        "print(callable(httpx.get) and callable(httpx.AsyncClient))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    loaded, usable = finished.stdout.splitlines()
    assert loaded.split() == ["False", "False", "False"]
    assert usable == "True"
