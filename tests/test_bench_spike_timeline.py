"""bench/spike_timeline: the spike's order requests grouped by when they were sent, placed and
refused apart, with their p50 and slowest; the rest only counted."""

from __future__ import annotations

import pytest

from bench.spike_timeline import Answer, timeline


def cells(row: str) -> list[str]:
    return row.split()


def test_requests_fall_into_the_second_they_were_sent_in() -> None:
    rows = timeline(
        [
            Answer(0.1, 0.200, 201),
            Answer(0.9, 0.400, 201),
            Answer(0.5, 0.600, 201),
            Answer(1.0, 0.050, 409),
            Answer(1.2, 0.900, 201),
            Answer(1.7, 0.150, 409),
            Answer(1.8, 0.300, 200),
            Answer(3.4, 0.070, 409),
        ]
    )
    assert rows[0].split() == [
        "sent", "at", "(s)", "placed", "p50", "/", "max", "ms", "409", "p50", "/", "max", "ms",
        "other",
    ]  # fmt: skip
    # second, placed, p50 / max, refused, p50 / max, other
    assert [cells(row) for row in rows[1:]] == [
        ["0.0", "3", "400", "/", "600", "0", "-", "/", "-", "0"],
        ["1.0", "1", "900", "/", "900", "2", "100", "/", "150", "1"],
        ["3.0", "0", "-", "/", "-", "1", "70", "/", "70", "0"],
    ]


def test_a_shorter_step_splits_the_seconds() -> None:
    rows = timeline([Answer(0.2, 0.1, 201), Answer(0.7, 0.3, 201)], step=0.5)
    assert [cells(row)[:2] for row in rows[1:]] == [["0.0", "1"], ["0.5", "1"]]


def test_no_requests_leave_the_header_alone() -> None:
    assert len(timeline([])) == 1


def test_a_step_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        timeline([Answer(0.0, 0.1, 201)], step=0)
