"""Latency percentiles for the benchmarks' reports, from `statistics.quantiles`."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], percent: int) -> float:
    """The `percent`-th percentile (1 to 99) of `values`: the inclusive method, since the values
    are every request measured (nothing is extrapolated past the slowest); the value itself
    for one value, nan for none."""
    if not values:
        return math.nan
    if len(values) == 1:  # statistics.quantiles wants two points before Python 3.13
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
