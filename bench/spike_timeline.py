"""The festival spike's orders second by second (bench/spike.py): how many were placed and
refused in each second after the first was sent, and how long they took. The run's figures
are over the whole window; the timeline shows where they come from (a cold first second, the
steady rush, the end as the SKUs sell out one by one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bench.percentiles import percentile


@dataclass(frozen=True)
class Answer:
    """One order request: sent `sent` seconds after the first, answered `took` seconds later
    with `status`."""

    sent: float
    took: float
    status: int


def _p50_and_slowest(took: list[float]) -> str:
    if not took:
        return "- / -"
    return f"{percentile(took, 50) * 1000:.0f} / {max(took) * 1000:.0f}"


def timeline(answers: list[Answer], step: float = 1.0) -> list[str]:
    """A header and a row per `step` seconds by when the requests were sent: the orders
    placed (201) and refused (409; in the spike, for stock) with their p50 and slowest ms, and
    the rest (replays of a double submit, failures) counted."""
    if step <= 0:
        raise ValueError("step must be positive")
    placed: defaultdict[int, list[float]] = defaultdict(list)
    refused: defaultdict[int, list[float]] = defaultdict(list)
    other: defaultdict[int, int] = defaultdict(int)
    for answer in answers:
        slot = int(answer.sent // step)
        if answer.status == 201:
            placed[slot].append(answer.took)
        elif answer.status == 409:
            refused[slot].append(answer.took)
        else:
            other[slot] += 1
    slots = sorted({*placed, *refused, *other})
    rows = [
        f"{'sent at (s)':>12} {'placed':>7} {'p50 / max ms':>14} {'409':>6} {'p50 / max ms':>14}"
        f" {'other':>6}"
    ]
    for slot in slots:
        done, no = placed[slot], refused[slot]
        rows.append(
            f"{slot * step:>12.1f} {len(done):>7} {_p50_and_slowest(done):>14}"
            f" {len(no):>6} {_p50_and_slowest(no):>14} {other[slot]:>6}"
        )
    return rows
