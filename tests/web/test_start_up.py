"""What the app does once per process when it starts serving."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from app import main
from app.config import Settings
from app.core import memory


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


class _Built:
    """A container like those a process's first requests build and keep (tracked by the
    collector)."""

    def __init__(self, index: int) -> None:
        self.index = index


def _in_collections(kept: list[_Built]) -> int:
    """How many of `kept` a full collection would walk."""
    walked = {id(obj) for obj in gc.get_objects()}
    return sum(id(obj) in walked for obj in kept)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_the_heap_built_after_start_up_is_frozen_as_it_settles(unfrozen: None) -> None:
    first = [_Built(index) for index in range(1_000)]
    second: list[_Built] = []
    settling = asyncio.create_task(memory.freeze_heap_as_it_settles((0.05, 0.2)))
    await asyncio.sleep(0.1)
    # After the first delay: what was built before it is out of the collections.
    assert _in_collections(first) == 0
    second.extend(_Built(index) for index in range(1_000))
    assert _in_collections(second) == 1_000
    await settling
    assert _in_collections(second) == 0
    assert gc.get_freeze_count() >= 2_000


async def test_a_served_app_freezes_its_heap_again_after_warm_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setattr(memory, "HEAP_SETTLES_AFTER_SECONDS", (0.05,))
    application = main.create_app(settings)
    async with main.lifespan(application):
        built = [_Built(index) for index in range(1_000)]  # what the first requests build
        await asyncio.sleep(0.2)
        assert _in_collections(built) == 0


async def test_an_app_stopped_before_its_heap_settles_freezes_nothing_more(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setattr(memory, "HEAP_SETTLES_AFTER_SECONDS", (0.1,))
    application = main.create_app(settings)
    async with main.lifespan(application):
        pass
    built = [_Built(index) for index in range(1_000)]
    await asyncio.sleep(0.2)
    assert _in_collections(built) == 1_000
