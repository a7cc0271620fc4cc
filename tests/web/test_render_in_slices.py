"""Pages kept for every visitor are rendered in slices, the event loop serving others between."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import jinja2
import pytest

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


async def _turns_taken_by(rendering: Coroutine[Any, Any, str]) -> tuple[str, int]:
    """The render's text and how many turns another task had while it ran."""
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
    text = await rendering
    done = True
    await other
    return text, turns - started


async def test_the_text_is_the_templates_rendering_and_others_run_between_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(templating, "RENDER_SLICE_SECONDS", 0.0)
    context = {"n": 300, "word": "<b>"}
    text, turns = await _turns_taken_by(render_in_slices(TEMPLATE, context))
    assert text == templates.env.get_template(TEMPLATE).render(context)
    assert "&lt;b&gt;" in text and "<b>" not in text  # escaped as a page is
    # Each slice is a piece of the output at least: the loop turned once per piece.
    assert turns >= 300


async def test_a_render_shorter_than_a_slice_runs_in_one_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(templating, "RENDER_SLICE_SECONDS", 60.0)
    context = {"n": 300, "word": "w"}
    text, turns = await _turns_taken_by(render_in_slices(TEMPLATE, context))
    assert text == templates.env.get_template(TEMPLATE).render(context)
    assert turns == 0
