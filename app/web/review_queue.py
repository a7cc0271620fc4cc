"""The operators' review queues (suppliers, organisations): the page context both render, and
what an action the service refused brings back to the queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class RefusedAction:
    """An action on one entry that was refused: the entry, why, and the reason typed."""

    entry_id: int
    error: str
    reason: str = ""


def review_queue_context(
    queue: Any,
    actions: dict[int, list[str]],
    statuses: Iterable[StrEnum],
    refused: RefusedAction | None,
) -> dict[str, Any]:
    """The queue of one status, the actions each entry allows, every status (the tabs) and
    the refused action, if any, shown beside its entry."""
    return {
        "queue": queue,
        "actions": actions,
        "failed_id": refused.entry_id if refused else None,
        "error": refused.error if refused else None,
        "reason": refused.reason if refused else "",
        "statuses": [status.value for status in statuses],
    }
