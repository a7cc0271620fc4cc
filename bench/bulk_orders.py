"""Benchmark: reading an uploaded 5,000-row bulk-order (or gift-recipient) list, CSV and XLSX.

    uv run python bench/bulk_orders.py [--rows 5000] [--runs 5]

Builds the files in memory (an XLSX as Excel writes it, with shared strings; CSV in UTF-8
with a byte-order mark and in GBK), then for each times `read_table` followed by the
validation step, --runs times, and prints p50 and the maximum. Peak memory is measured apart,
in a fresh Python process per file (so that building the files, or an earlier run, does not
hide it): the rise of the peak RSS over reading (Linux's VmHWM, reset just before; else
ru_maxrss), and, in another fresh process, tracemalloc's peak of Python allocations.

Targets (the bulk-order issue): p50 under 2 s for a 5,000-row file, and a peak under 100 MB
more than before reading. The validation step does nothing yet; database validation of SKU
codes plugs in as a `Validation` (a function of the rows, sync or async) in VALIDATIONS.
The script reports; it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.sheets import Row, read_table, write_csv, write_xlsx  # noqa: E402

Validation = Callable[[Sequence[Row]], Awaitable[None] | None]
MAX_ROWS = 5000
TARGET_P50_SECONDS = 2.0
TARGET_PEAK_MB = 100.0


def no_validation(rows: Sequence[Row]) -> None:
    """Stands in for checking SKU codes and quantities against the catalog."""
    del rows


@dataclass(frozen=True)
class ListKind:
    name: str
    header: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    make_row: Callable[[random.Random, int], list[str | int]]


def _order_row(rng: random.Random, n: int) -> list[str | int]:
    day = date(2026, 9, 1) + timedelta(days=rng.randrange(30))
    return [f"FS-{rng.randrange(1, 2000):05}", rng.randrange(1, 500), day.isoformat()]


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
_COUNTIES = ("522701", "522732", "532823", "622921", "451027", "433127")


def _recipient_row(rng: random.Random, n: int) -> list[str | int]:
    name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09}"
    address = f"{rng.choice('东南西北')}环路{rng.randrange(1, 999)}号{n % 30 + 1}栋{n % 6 + 1}单元"
    return [name, phone, rng.choice(_COUNTIES), address]


KINDS = {
    "orders": ListKind(
        "orders",
        ("商品编码", "数量", "配送日期"),
        ("sku_code", "quantity"),
        ("delivery_date",),
        _order_row,
    ),
    "recipients": ListKind(
        "recipients",
        ("姓名", "电话", "区县代码", "详细地址"),
        ("name", "phone", "county_code", "detail"),
        (),
        _recipient_row,
    ),
}
# The step after reading, per list; database checks replace these when they exist.
VALIDATIONS: dict[str, Validation] = {"orders": no_validation, "recipients": no_validation}


def build_files(kind: ListKind, rows: int) -> dict[str, bytes]:
    rng = random.Random(20261128)
    table = [kind.make_row(rng, n) for n in range(rows)]
    csv_bytes = write_csv(kind.header, table)
    return {
        "xlsx": write_xlsx(kind.header, table),
        "csv-utf8": csv_bytes,
        "csv-gbk": csv_bytes.decode("utf-8-sig").encode("gbk"),
    }


def read_and_validate(kind: ListKind, data: bytes, loop: asyncio.AbstractEventLoop) -> int:
    table = read_table(
        data, None, required=kind.required, optional=kind.optional, max_rows=MAX_ROWS
    )
    outcome = VALIDATIONS[kind.name](table.rows)
    if inspect.isawaitable(outcome):
        loop.run_until_complete(outcome)
    return len(table.rows)


def time_runs(kind: ListKind, data: bytes, runs: int) -> list[float]:
    loop = asyncio.new_event_loop()
    try:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            read_and_validate(kind, data, loop)
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        loop.close()


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


def _reset_peak_rss() -> bool:
    """Linux resets the peak RSS (VmHWM) to the current RSS on "5" in clear_refs; without it,
    the peak of the imports before reading would hide the reading's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_memory_here(kind: ListKind, path: Path, mode: str) -> float:
    """Run in a fresh process: the memory (MB) reading one file adds to what was there before,
    as the rise of the process's peak RSS ("rss") or as tracemalloc's peak ("traced"); apart,
    because tracing adds its own memory to the RSS."""
    data = path.read_bytes()
    loop = asyncio.new_event_loop()
    gc.collect()
    if mode == "traced":
        tracemalloc.start()
        read_and_validate(kind, data, loop)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 2**20
    if _reset_peak_rss():
        before_kib = _status_kib("VmRSS")
        read_and_validate(kind, data, loop)
        return (_status_kib("VmHWM") - before_kib) / 1024
    # Elsewhere the process's peak so far (ru_maxrss, KiB on Linux): a rise of 0 then means
    # the reading stayed under the peak of the imports.
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    read_and_validate(kind, data, loop)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024


def measure_memory(kind: ListKind, data: bytes) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.NamedTemporaryFile(suffix=".upload") as upload:
        upload.write(data)
        upload.flush()
        for mode in ("rss", "traced"):
            done = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
                [sys.executable, __file__, "--child", kind.name, upload.name, mode],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            figures[mode] = float(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=MAX_ROWS, help=f"data rows (≤ {MAX_ROWS})")
    parser.add_argument("--runs", type=int, default=5, help="timed reads per file (≤ 50)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # kind, path, mode
    args = parser.parse_args(argv)
    if args.child:
        kind_name, path, mode = args.child
        print(f"{measure_memory_here(KINDS[kind_name], Path(path), mode):.3f}")
        return 0
    rows = max(1, min(args.rows, MAX_ROWS))
    runs = max(1, min(args.runs, 50))
    print(
        f"{rows} rows, {runs} runs each; targets p50 < {TARGET_P50_SECONDS:.0f} s, "
        f"peak < +{TARGET_PEAK_MB:.0f} MB"
    )
    for kind in KINDS.values():
        for label, data in build_files(kind, rows).items():
            timings = time_runs(kind, data, runs)
            memory = measure_memory(kind, data)
            p50 = statistics.median(timings)
            verdict = (
                "ok"
                if p50 < TARGET_P50_SECONDS and memory["rss"] < TARGET_PEAK_MB
                else "OVER TARGET"
            )
            print(
                f"{kind.name:<10} {label:<8} {len(data) / 1024:7.0f} KiB  "
                f"p50 {p50 * 1000:6.0f} ms  max {max(timings) * 1000:6.0f} ms  "
                f"peak RSS +{memory['rss']:5.1f} MB  traced {memory['traced']:5.1f} MB  {verdict}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
