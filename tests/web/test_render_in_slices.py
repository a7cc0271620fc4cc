"""Pages kept for every visitor and refreshed in the background are rendered in slices, the
event loop serving others between; those that callers wait for, in one go."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
import pytest

from app.core.cache import CacheSpec, Refreshing
from app.web import templating
from app.web.templating import render_in_slices, templates

TEMPLATE = "test_render_in_slices.html"


@pytest.fixture(autouse=True)
def _template(monkeypatch: pytest.MonkeyPatch) -> None:
    assert templates.env.loader is not None
    loader = jinja2.ChoiceLoader(
        [
            jinja2.DictLoader(
                {TEMPLATE: "{% for i in range(n) %}<p>{{ i }} &amp; {{ word }}</p>{% endfor %}"}
            ),
            templates.env.loader,
        ]
    )
    monkeypatch.setattr(templates.env, "loader", loader)


PAGES: CacheSpec[str, str] = CacheSpec("tests.pages", 4, ttl_seconds=1.0, stale_seconds=60.0)


async def _turns_of_others_while(rendering: Callable[[], Awaitable[str]]) -> int:
    """How many turns another task had while `rendering` ran."""
    turns = 0
    done = False

    async def other_request() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)  # the other task is running
    started = turns
    await rendering()
    done = True
    await other
    return turns - started


async def _turns_while_rendered(context: dict[str, Any], *, in_background: bool) -> int:
    """How many turns the loop gave others while the page was rendered as a cached page is, by
    a refresh behind a stale value or for a caller who waits for it; the text is checked to be
    the template's."""
    now = 0.0
    pages = Refreshing(PAGES, clock=lambda: now)
    rendered: list[str] = []
    finished = asyncio.Event()

    async def compute() -> str:
        rendered.append(await render_in_slices(TEMPLATE, context))
        finished.set()
        return rendered[-1]

    async def rendering() -> str:
        nonlocal now
        if not in_background:
            return await pages.get_or_compute("page", compute)
        pages.put("page", "previous")
        now = 2.0
        assert await pages.get_or_compute("page", compute) == "previous"
        await finished.wait()
        return rendered[-1]

    turns = await _turns_of_others_while(rendering)
    assert rendered == [templates.env.get_template(TEMPLATE).render(context)]
    return turns


async def test_a_background_refresh_renders_in_slices_others_running_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(templating, "RENDER_SLICE_SECONDS", 0.0)
    # Each slice is a piece of the output at least: the loop turned once per piece.
    assert await _turns_while_rendered({"n": 300, "word": "<b>"}, in_background=True) >= 300


async def test_a_page_is_escaped_as_every_page_is() -> None:
    text = await render_in_slices(TEMPLATE, {"n": 2, "word": "<b>"})
    assert "&lt;b&gt;" in text and "<b>" not in text


@pytest.mark.parametrize(
    ("slice_seconds", "in_background"),
    [(60.0, True), (0.0, False)],
    ids=["a render shorter than a slice", "a page that callers wait for"],
)
async def test_renders_in_one_go(
    monkeypatch: pytest.MonkeyPatch, slice_seconds: float, in_background: bool
) -> None:
    monkeypatch.setattr(templating, "RENDER_SLICE_SECONDS", slice_seconds)
    # The refresh's start and end at most, not its pieces.
    assert await _turns_while_rendered({"n": 300, "word": "w"}, in_background=in_background) <= 3
