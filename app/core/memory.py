"""The process's memory: the collector's view of a long-lived heap, and giving memory back.

A full collection walks every object the collector tracks and stops the event loop while it
does. The objects a serving process keeps for life (what imports made, then what its first
requests built: compiled SQL, templates, the place-name dictionary) are most of what it walks,
and never garbage: `freeze_heap` moves them out of the collections, at start-up and again as
the heap settles after warm-up (`freeze_heap_as_it_settles`, with HEAP_SETTLES_AFTER_SECONDS).

CPython frees objects to its allocator and glibc keeps freed pages of its heap for reuse, so a
process's resident set stays at its peak long after a large job ended. `return_freed_memory`
collects cycles, then asks glibc to return what its heaps hold unused (malloc_trim); on
another C library it only collects.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# When a serving process freezes its heap again after start-up: most of what its first
# requests build is built within seconds of the first visits; what the rest of the first
# minutes adds (rarer pages, searches) is caught by the second. Each freeze is one full
# collection, like the ones it saves.
HEAP_SETTLES_AFTER_SECONDS: tuple[float, ...] = (30.0, 300.0)


def freeze_heap() -> None:
    """Collect the garbage, then move every object still alive out of the collector's
    generations: later full collections walk only what was made since. An object frozen here
    that later becomes part of a garbage cycle is never collected (its memory is kept until
    the process ends); for what a process keeps for life, that is nothing."""
    gc.collect()
    gc.freeze()


async def freeze_heap_as_it_settles(delays: Sequence[float]) -> None:
    """Freeze the heap after each delay in turn (seconds since the previous freeze). Measured
    in a festival spike: without it, a web process's full collections walked ~52,000 objects
    its first requests had built, 35-93 ms each, stalling every request in flight."""
    for delay in delays:
        await asyncio.sleep(delay)
        freeze_heap()


@lru_cache(maxsize=1)
def _malloc_trim() -> Any | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> bool:
    """Collect garbage and hand the allocator's free pages back to the system; True where
    glibc could be asked to."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def resident_bytes() -> int | None:
    """This process's resident set in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")
