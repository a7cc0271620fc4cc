"""The dictionaries text analysis loads, and their release: pinyin readings (a generated table,
then pypinyin, ~55 MB, for any other word) and rjieba's segmenter (~30 MB).

Both load on first use. A process that indexes now and then (a worker) may give them back
(search.text.release_text_dictionaries, which calls the releases here); they load again on
next use.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

from search.pinyin_table import READINGS

if TYPE_CHECKING:
    from rjieba import Jieba

_NOT_LATIN = re.compile(r"[^a-z]")

# Readings kept by word_pinyin: 16,384 entries of at most 40-character words (MAX_TOKEN_CHARS),
# under 500 bytes each (a word, two short strings, a tuple, the cache's node): at most ~8 MB.
PINYIN_CACHE_ENTRIES = 16_384


@lru_cache(maxsize=PINYIN_CACHE_ENTRIES)
def word_pinyin(word: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese word, ü written v: 赣南 → ("gannan", "gn").

    The words a query needs (synonyms, provinces) come from a table generated from pypinyin
    (search/pinyin_table.py); any other word asks pypinyin itself, imported on first use:
    its phrase dictionary takes about 55 MB, which only a process that indexes needs."""
    known = READINGS.get(word)
    if known is not None:
        return known
    return pypinyin_reading(word)


def pypinyin_reading(word: str) -> tuple[str, str]:
    """word_pinyin's answer from pypinyin itself (scripts/pinyin_table.py writes these)."""
    from pypinyin import Style, lazy_pinyin

    full = _NOT_LATIN.sub("", "".join(lazy_pinyin(word, errors="ignore")))
    initials = _NOT_LATIN.sub(
        "", "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore"))
    )
    return full, initials


# Unloading pypinyin and importing it again leaves about 1 MB behind each time (measured:
# +0.9 MB per cycle over 30 cycles, Python's objects unchanged; fragmentation of the
# allocator's arenas). A process unloads it at most this many times, then keeps it
# (~55 MB): at worst ~8 MB lost, and no growth after that.
MAX_PINYIN_RELEASES = 8
_pinyin_releases = 0


def release_pinyin() -> bool:
    """Forget the memoised readings and unload pypinyin (imported again on next use), unless
    this process has already done so MAX_PINYIN_RELEASES times; True when unloaded."""
    global _pinyin_releases
    word_pinyin.cache_clear()
    if _pinyin_releases >= MAX_PINYIN_RELEASES:
        return False
    loaded = [name for name in sys.modules if name.partition(".")[0] == "pypinyin"]
    if loaded:
        _pinyin_releases += 1
    for name in loaded:
        del sys.modules[name]
    return bool(loaded)


# rjieba's module attributes that hold its default instance (the bound methods and itself).
_RJIEBA_MODULE_INSTANCE = (
    "_DEFAULT_JIEBA", "cut", "cut_all", "cut_for_search", "tag", "tokenize", "clear",
    "suggest_freq", "add_word", "has_word",
)  # fmt: skip


def new_jieba(*, share_module_dictionary: bool) -> Jieba:
    """A segmenter with jieba's dictionary. Importing rjieba already builds one (its module's
    default instance, about 24 MB): the process-wide analyzer takes that one over rather than
    building a second copy; nothing else in the process uses rjieba's module functions.
    Other analyzers (tests, benchmarks) get their own, so that their words never leak.
    Where release_module_segmenter dropped the module's instance, the new one becomes the
    module's again."""
    import rjieba

    if not share_module_dictionary:
        return rjieba.Jieba()
    shared = getattr(getattr(rjieba, "cut", None), "__self__", None)
    if isinstance(shared, rjieba.Jieba):
        return shared
    shared = rjieba.Jieba()
    rjieba._DEFAULT_JIEBA = shared
    for name in _RJIEBA_MODULE_INSTANCE[1:]:
        setattr(rjieba, name, getattr(shared, name))
    return shared


def release_module_segmenter() -> None:
    """rjieba's module gives up its default instance (the default analyzer's, which the
    caller has dropped): freed once nothing else holds it."""
    rjieba = sys.modules.get("rjieba")
    if rjieba is not None:
        for name in _RJIEBA_MODULE_INSTANCE:
            if hasattr(rjieba, name):
                delattr(rjieba, name)
