"""Query understanding: place names, label words and English product words in what a buyer
types become filters and Chinese words, before any backend sees the query.

宁夏枸杞 is the province filter 宁夏回族自治区 and the text 枸杞; 有机大米 is the label filter
`organic` and 大米; `tea` is the text 茶. Both backends get the same ProductQuery (filters plus
the remaining text), so they understand alike. The parser is built once from the region
reference data and the app's label words (the app caches it) and parses without any I/O.

Words are found on the segmenter's word boundaries (a place inside a longer word is not a
place: 普洱茶 is tea, 同心圆 is not 同心), as runs of one or more words (中/宁 → 中宁).
A name shared by places that do not contain one another (朝阳: districts of Beijing and
Changchun, a city and a county in Liaoning) stays text unless another place word of the
query tells them apart (辽宁朝阳); where one contains the others (恩施: the prefecture and
its city) the broadest is meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from search.english import MAX_ENGLISH_WORDS, english_word
from search.places import Place, PlaceLevel, choose, deepest, names_of, place_codes
from search.query import normalise_text
from search.text import QUERY_STOPWORDS, Analyzer, default_analyzer

PartKind = Literal["place", "label", "word"]
# Said around a place ("产自宁夏的枸杞", "goji from ningxia"): dropped with it.
_PLACE_FILLERS = frozenset(
    {"产自", "来自", "产地", "原产", "原产地", "出产", "特产", "from", "in", "of"}
)
# Runs of words looked at for one name: 宁夏/回族/自治区, 凉山/彝族/自治州.
MAX_RUN_WORDS = 6
_SPACE = re.compile(r"\s+")
_LATIN = re.compile(r"[a-z]")
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")


@dataclass(frozen=True, slots=True)
class Understood:
    """Words of the query that were understood: a place, a label, or an English word.

    `start`/`end` delimit the words in ParsedQuery.typed; `repeats`, the same thing typed
    again later (宁夏 宁夏). `value` is the place's code, the label's code, or the Chinese word
    searched for an English one; `name` the place's full name, the label's code, or that
    Chinese word.
    """

    kind: PartKind
    typed: str
    start: int
    end: int
    value: str
    name: str
    level: PlaceLevel | None = None
    repeats: tuple[tuple[int, int], ...] = ()

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        return ((self.start, self.end), *self.repeats)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query as understood: filters, and the text left for the backends to match.

    `typed` is the query normalised (normalise_text); `text` is what remains of it once the
    understood words are taken out (English words replaced by their Chinese word); `words`
    are the spans of the remaining words, for suggestions that drop one of them.
    """

    typed: str
    text: str
    parts: tuple[Understood, ...] = ()
    words: tuple[tuple[int, int], ...] = ()
    fillers: tuple[tuple[int, int], ...] = ()
    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    label: str | None = None

    @property
    def places(self) -> tuple[Understood, ...]:
        return tuple(part for part in self.parts if part.kind == "place")

    def without(self, spans: Iterable[tuple[int, int]]) -> str:
        """The typed query without these spans: an understood part goes with its repeats,
        and the fillers with the last place."""
        cut = set(spans)
        for part in self.parts:
            if cut.intersection(part.spans):
                cut.update(part.spans)
        places = self.places
        if places and all(cut.issuperset(part.spans) for part in places):
            cut.update(self.fillers)
        return _cut(self.typed, sorted(cut))

    def without_part(self, part: Understood) -> str:
        return self.without(part.spans)

    def parts_only(self) -> str:
        """Only the understood words of the typed query, in order (the text taken out)."""
        return " ".join(part.typed for part in self.parts)

    def applied(
        self, *, province: str | None, county: str | None, label: str | None
    ) -> ParsedQuery:
        """The understanding under filters the caller chose explicitly: an explicit filter
        wins over understood words of its kind that contradict it (a place outside the
        chosen province or county, another label); those words are then not searched."""
        kept: list[Understood] = []
        for part in self.parts:
            if part.kind == "label" and label is not None and part.value != label:
                continue
            if part.kind == "place" and not _agrees(part, province, county):
                continue
            kept.append(part)
        if len(kept) == len(self.parts):
            return self
        places = [_place_of(part) for part in kept if part.kind == "place"]
        labels = [part.value for part in kept if part.kind == "label"]
        province_code, prefecture, county_code = place_codes(deepest(places))
        return replace(
            self,
            parts=tuple(kept),
            province=province_code,
            prefecture=prefecture,
            county=county_code,
            label=labels[0] if labels else None,
        )


def _agrees(part: Understood, province: str | None, county: str | None) -> bool:
    place = _place_of(part)
    explicit = [
        Place(province, "", "province") if province else None,
        Place(county, "", "county") if county else None,
    ]
    return all(other is None or place.related(other) for other in explicit)


def _place_of(part: Understood) -> Place:
    if part.level is None:
        raise ValueError(f"{part.typed!r} is not a place")
    return Place(part.value, part.name, part.level)


def _cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` without the spans, whitespace collapsed. What was on either side of a span is
    joined by a space between two Latin words or numbers (organic tea 500g), directly
    between Chinese ones (宁夏有机枸杞 → 宁夏枸杞)."""
    result = ""
    position = 0
    for start, end in sorted(spans):
        result = _join(result, text[position : max(start, position)])
        position = max(position, end)
    return _SPACE.sub(" ", _join(result, text[position:])).strip()


def _join(left: str, right: str) -> str:
    latin_words = (
        left
        and right
        and left[-1].isalnum()
        and right[0].isalnum()
        and not (_CJK_CHAR.match(left[-1]) or _CJK_CHAR.match(right[0]))
    )
    return f"{left} {right}" if latin_words else left + right


@dataclass(frozen=True, slots=True)
class _Match:
    start: int  # token index
    end: int
    kind: PartKind
    places: tuple[Place, ...] = ()
    value: str = ""


@dataclass
class _Token:
    text: str
    start: int
    end: int
    latin: bool = field(default=False)


class QueryParser:
    """Turns query text into filters and remaining text; built once, then pure and fast.

    `places`: every province, prefecture and county (names as in the reference data, with
    their suffixes: 宁夏回族自治区, 凉山彝族自治州, 寻乌县); each is also known without its
    suffix and ethnic names (宁夏, 凉山, 凉山州, 寻乌), and provinces by their pinyin
    (ningxia). `labels`: label code → the words that mean it, in any language (organic →
    有机, 有机产品, organic). English product words come from search.english.
    """

    def __init__(
        self,
        places: Iterable[Place],
        labels: Mapping[str, Iterable[str]] | None = None,
        *,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.analyzer = analyzer or default_analyzer()
        by_name: dict[str, dict[str, Place]] = {}
        for place in places:
            for name in names_of(place):
                by_name.setdefault(name, {})[place.code] = place
        self._places: dict[str, tuple[Place, ...]] = {
            name: tuple(found.values()) for name, found in by_name.items()
        }
        self._labels: dict[str, str] = {}
        for code, words in (labels or {}).items():
            for word in words:
                key = _key(normalise_text(word).lower())
                if key:
                    self._labels.setdefault(key, code)

    @property
    def place_names(self) -> int:
        """How many names (with their short forms) the parser knows places by."""
        return len(self._places)

    def parse(self, text: str) -> ParsedQuery:
        typed = normalise_text(text)
        tokens = self._tokens(typed)
        if tokens is None:
            return ParsedQuery(typed=typed, text=typed)
        matches = self._matches(tokens)
        place_matches = [match for match in matches if match.kind == "place"]
        meant = choose([match.places for match in place_matches])
        resolved = {id(match): place for match, place in zip(place_matches, meant, strict=True)}
        parts: list[Understood] = []
        taken: set[int] = set()
        label: str | None = None
        for match in matches:
            start, end = tokens[match.start].start, tokens[match.end - 1].end
            typed_words = typed[start:end]
            if match.kind == "place":
                place = resolved.get(id(match))
                if place is None:
                    continue
                parts.append(
                    Understood(
                        "place", typed_words, start, end, place.code, place.name, place.level
                    )
                )
            elif match.kind == "label":
                if label is not None and match.value != label:
                    continue  # one label filter: a second, different one stays text
                label = match.value
                parts.append(Understood("label", typed_words, start, end, match.value, match.value))
            else:
                parts.append(Understood("word", typed_words, start, end, match.value, match.value))
            taken.update(range(match.start, match.end))
        parts = _merge_repeats(parts)
        places = [_place_of(part) for part in parts if part.kind == "place"]
        fillers: list[tuple[int, int]] = []
        words: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if index in taken:
                index += 1
                continue
            filler = _filler_end(tokens, index, taken) if places else None
            if filler is not None:
                fillers.append((token.start, tokens[filler - 1].end))
                index = filler
                continue
            if token.text not in QUERY_STOPWORDS:
                words.append((token.start, token.end))
            index += 1
        province, prefecture, county = place_codes(deepest(places))
        searched = any(part.kind == "word" for part in parts)
        # Only function words and punctuation left beside filters (宁夏的): no text to match.
        remaining = _remaining(typed, parts, fillers) if words or searched or not parts else ""
        return ParsedQuery(
            typed=typed,
            text=remaining,
            parts=tuple(parts),
            words=tuple(words),
            fillers=tuple(fillers),
            province=province,
            prefecture=prefecture,
            county=county,
            label=label,
        )

    def _tokens(self, typed: str) -> list[_Token] | None:
        """The segmenter's words with their place in `typed`; None if they cannot be placed
        (lower-casing changed the text's length: nothing is understood then)."""
        lowered = typed.lower()
        if len(lowered) != len(typed):
            return None
        tokens: list[_Token] = []
        position = 0
        for word in self.analyzer.segment(typed):
            start = lowered.find(word, position)
            if start < 0:
                return None
            end = start + len(word)
            tokens.append(_Token(word, start, end, latin=bool(_LATIN.match(word))))
            position = end
        return tokens

    def _matches(self, tokens: Sequence[_Token]) -> list[_Match]:
        """Left to right, the longest run of words that names something, runs not overlapping."""
        matches: list[_Match] = []
        index = 0
        while index < len(tokens):
            found = None
            for end in range(min(len(tokens), index + MAX_RUN_WORDS), index, -1):
                found = self._lookup(tokens, index, end)
                if found is not None:
                    break
            if found is None:
                index += 1
                continue
            matches.append(found)
            index = found.end
        return matches

    def _lookup(self, tokens: Sequence[_Token], start: int, end: int) -> _Match | None:
        run = tokens[start:end]
        if any(token.latin for token in run):
            if not all(token.latin for token in run) or len(run) > MAX_ENGLISH_WORDS:
                return None
            key = " ".join(token.text for token in run)
        else:
            key = "".join(token.text for token in run)
        label = self._labels.get(key)
        if label is not None:
            return _Match(start, end, "label", value=label)
        places = self._places.get(key)
        if places:
            return _Match(start, end, "place", places=places)
        chinese = english_word(key) if run[0].latin else None
        if chinese is not None:
            return _Match(start, end, "word", value=chinese)
        return None


def _filler_end(tokens: Sequence[_Token], start: int, taken: set[int]) -> int | None:
    """The end of a filler (产自, 来自 …) starting at `start`, however it was cut (产/自)."""
    for end in range(min(len(tokens), start + 3), start, -1):
        run = tokens[start:end]
        if taken.intersection(range(start, end)):
            continue
        joined = (" " if run[0].latin else "").join(token.text for token in run)
        if joined in _PLACE_FILLERS:
            return end
    return None


def _key(text: str) -> str:
    """A lookup key: Latin words separated by one space, Chinese without spaces."""
    words = text.split()
    if all(_LATIN.match(word) for word in words):
        return " ".join(words)
    return "".join(words)


def _merge_repeats(parts: Sequence[Understood]) -> list[Understood]:
    """One part per thing understood, with the later spans that say it again."""
    merged: dict[tuple[str, str], Understood] = {}
    for part in parts:
        first = merged.get((part.kind, part.value))
        if first is None:
            merged[(part.kind, part.value)] = part
        else:
            repeats = (*first.repeats, (part.start, part.end))
            merged[(part.kind, part.value)] = replace(first, repeats=repeats)
    return list(merged.values())


def _remaining(typed: str, parts: Sequence[Understood], fillers: Sequence[tuple[int, int]]) -> str:
    """The typed text without its places, labels and fillers, English words in Chinese."""
    pieces: list[str] = []
    position = 0
    replaced = {(part.start, part.end): part for part in parts}
    spans = sorted([*replaced, *fillers, *(span for part in parts for span in part.repeats)])
    for start, end in spans:
        pieces.append(typed[position:start])
        part = replaced.get((start, end))
        pieces.append(f" {part.value} " if part is not None and part.kind == "word" else " ")
        position = end
    pieces.append(typed[position:])
    return _SPACE.sub(" ", "".join(pieces)).strip()
