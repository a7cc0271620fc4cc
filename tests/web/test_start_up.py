"""What the app does once per process when it starts serving."""

from __future__ import annotations

import gc

import pytest

from app import main
from app.config import Settings


async def test_start_up_moves_the_imported_heap_out_of_the_collector(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    monkeypatch.setattr(main, "_heap_frozen", False)
    assert gc.get_freeze_count() == 0
    application = main.create_app(settings)
    async with main.lifespan(application):
        # The dictionaries of the search analyzer alone are hundreds of thousands of objects.
        frozen = gc.get_freeze_count()
        assert frozen > 100_000
        main.freeze_start_up_heap()  # once per process: a second app freezes nothing more
        assert gc.get_freeze_count() == frozen
