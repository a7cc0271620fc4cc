"""Places of the region reference data as a query names them: provinces, prefectures and
counties, by their names with and without suffixes, and which one a query means."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from search.dictionaries import word_pinyin
from search.text import place_short_name

PlaceLevel = Literal["province", "prefecture", "county"]
LEVEL_RANK: dict[str, int] = {"province": 0, "prefecture": 1, "county": 2}
_PREFIX_DIGITS: dict[str, int] = {"province": 2, "prefecture": 4, "county": 6}

# Prefecture-level names of the reference data that name no place a buyer would type.
_NOT_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Place names better known as products from elsewhere: 龙井 tea is from Hangzhou, not 龙井市
# in Jilin; 普洱 tea comes from all of southern Yunnan, not only 普洱市.
_PRODUCT_NAMES = frozenset({"龙井", "普洱"})
# Other names buyers use for provinces (pinyin of every province is added on its own).
_PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "内蒙古自治区": ("内蒙", "inner mongolia"),
    "西藏自治区": ("tibet",),
    "陕西省": ("shaanxi",),
}


@dataclass(frozen=True, slots=True)
class Place:
    """A province, prefecture or county of the reference data, by its six-digit code."""

    code: str
    name: str
    level: PlaceLevel

    def contains(self, other: Place) -> bool:
        """This place is `other` or holds it (640000 holds 640500 and 640521)."""
        digits = _PREFIX_DIGITS[self.level]
        return (
            LEVEL_RANK[self.level] <= LEVEL_RANK[other.level]
            and other.code[:digits] == self.code[:digits]
        )

    def related(self, other: Place) -> bool:
        return self.contains(other) or other.contains(self)


def names_of(place: Place) -> list[str]:
    """The names a buyer may type for a place: 凉山彝族自治州 → 凉山彝族自治州, 凉山, 凉山州."""
    name = place.name.strip()
    if name in _NOT_NAMES or len(name) < 2:
        return []
    names = [name]
    short = place_short_name(name)
    if short:
        names.append(short)
        for suffix, shorter in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
            if name.endswith(suffix):
                names.append(short + shorter)
    if place.level == "province":
        pinyin, _ = word_pinyin(short or name)
        if len(pinyin) >= 4:
            names.append(pinyin)
        names.extend(_PROVINCE_ALIASES.get(name, ()))
    return [found for found in dict.fromkeys(names) if found not in _PRODUCT_NAMES]


def choose(candidates: Sequence[Sequence[Place]]) -> list[Place | None]:
    """For each place word of a query (its candidate places), the place it means, or None
    where it stays text.

    Unambiguous names anchor the others: 朝阳 alone means nothing, 辽宁朝阳 the city in
    Liaoning. Places that contradict each other (宁夏 and 甘肃) are all left as text: one
    place filter cannot hold both.
    """
    chosen = [broadest(places) for places in candidates]
    anchors = [place for place in chosen if place is not None]
    if anchors:
        for index, places in enumerate(candidates):
            if chosen[index] is None:
                fitting = [p for p in places if all(p.related(anchor) for anchor in anchors)]
                chosen[index] = broadest(fitting)
    found = [place for place in chosen if place is not None]
    if not all(a.related(b) for a in found for b in found):
        return [None] * len(candidates)
    return chosen


def deepest(places: Sequence[Place]) -> Place | None:
    """The most specific of places that lie in one another."""
    return max(places, key=lambda place: LEVEL_RANK[place.level], default=None)


def broadest(candidates: Sequence[Place]) -> Place | None:
    """The one candidate that holds all the others; a lone province among places elsewhere
    (海南: the province, and a prefecture in Qinghai) is the province; None otherwise."""
    if not candidates:
        return None
    top = min(candidates, key=lambda place: LEVEL_RANK[place.level])
    if all(top.contains(other) for other in candidates):
        return top
    provinces = [place for place in candidates if place.level == "province"]
    return provinces[0] if len(provinces) == 1 else None


def place_codes(place: Place | None) -> tuple[str | None, str | None, str | None]:
    """(province, prefecture, county) filters of the most specific place: one of them set."""
    if place is None:
        return None, None, None
    return (
        place.code if place.level == "province" else None,
        place.code if place.level == "prefecture" else None,
        place.code if place.level == "county" else None,
    )
