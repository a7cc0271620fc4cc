"""Derive data/reference/pairing_areas.csv from the free-text `helped_area` of pairings.csv.

Usage:
    uv run python scripts/derive_pairing_areas.py          # (re)write the file
    uv run python scripts/derive_pairing_areas.py --check  # exit 1 if the file is stale

Each `helped_area` is resolved against counties.csv inside the pairing's helped province:

* "喀什地区: 疏附县、伽师县" names counties of one prefecture (groups are separated by ";");
* "塔城地区", "昌都市" name whole prefectures; "阜康市" names one county;
* text in brackets ("阿克苏地区(八县一市)", "日喀则市 (定日县等)") is kept in the note;
* units renamed since the source was written are mapped through ALIASES below;
* 兵团 divisions ("兵团农十师") have no county code: they are written as `unresolved` rows with
  a blank code, never guessed. A division named together with its city ("兵团农一师阿拉尔市")
  resolves to that city, which has a county-level code.

The output was checked by hand against counties.csv (see data/reference/SOURCES.md); any name
that does not resolve to exactly one unit stops the script instead of being guessed.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from app.regions.reference_data import (
    PAIRING_AREA_COLUMNS,
    PAIRING_AREAS_FILE,
    REFERENCE_DIR,
    UNRESOLVED_AREA,
    CountyRecord,
    read_counties,
    read_pairings,
)

# Name as written in the source → (name in counties.csv, why they are the same area).
ALIASES: dict[str, tuple[str, str]] = {
    "吐鲁番地区": (
        "吐鲁番市",
        "吐鲁番地区 became the prefecture-level city 吐鲁番市 in 2015 (地区→市)",
    ),
    "哈密地区": (
        "哈密市",
        "哈密地区 became the prefecture-level city 哈密市 in 2016 (地区→市)",
    ),
    "伊犁州直属八县二市": (
        "伊犁哈萨克自治州",
        "the units directly under 伊犁州 (州直); NBS code 654000 covers exactly those "
        "(塔城地区 and 阿勒泰地区 have their own codes), today incl. 霍尔果斯市 (set up in 2014)",
    ),
}

# Hand-checked remarks on particular source fragments, written next to the derived row.
REMARKS: dict[str, str] = {
    "阿克苏地区(八县一市)": (
        "八县一市 in 2010 = 阿克苏市 + 8 counties; 库车县 has since become 库车市, so today's "
        "prefecture (2 cities, 7 counties) covers the same units"
    ),
    "日喀则市 (定日县等)": (
        "定日县 is given as an example of where the helpers work; the whole prefecture is taken"
    ),
}

BINGTUAN = re.compile(r"^(?:兵团)?农(?P<division>[一二三四五六七八九十]+)师(?P<city>.*)$")
BRACKETS = re.compile(r"^(?P<name>[^(（]+?)\s*[(（](?P<inside>[^)）]*)[)）]$")


@dataclass(frozen=True)
class AreaRow:
    pairing_key: str
    area_kind: str
    code: str
    name: str
    source_text: str
    note: str

    def as_list(self) -> list[str]:
        return [self.pairing_key, self.area_kind, self.code, self.name, self.source_text, self.note]


class Unresolvable(ValueError):
    """A name that matches no unit, or more than one."""


class Resolver:
    """Name lookups inside one province."""

    def __init__(self, counties: list[CountyRecord]) -> None:
        self.counties = counties

    def prefecture(self, province: str, name: str) -> tuple[str, str] | None:
        found = {
            (c.prefecture_code, c.prefecture_name)
            for c in self.counties
            if c.province_code == province and c.prefecture_name == name
        }
        if len(found) > 1:
            raise Unresolvable(f"prefecture {name} is ambiguous in {province}")
        return found.pop() if found else None

    def county(self, province: str, name: str, prefecture: str | None = None) -> CountyRecord:
        found = [
            c
            for c in self.counties
            if c.province_code == province
            and c.name == name
            and (prefecture is None or c.prefecture_code == prefecture)
        ]
        if len(found) != 1:
            where = prefecture or province
            raise Unresolvable(f"county {name}: {len(found)} matches in {where}")
        return found[0]


def _resolve_item(
    resolver: Resolver, key: str, province: str, text: str, prefecture: str | None
) -> AreaRow:
    """One named unit: a 兵团 division, a prefecture (only when unqualified) or a county."""
    notes = [REMARKS[text]] if text in REMARKS else []
    name = text
    bracketed = BRACKETS.match(text)
    if bracketed:
        name = bracketed["name"].strip()
        if not notes:
            notes.append(f"source adds ({bracketed['inside']})")

    division = BINGTUAN.match(name)
    if division:
        city = division["city"]
        label = f"新疆生产建设兵团第{division['division']}师"
        if not city:
            notes.append(
                f"{label}: a 兵团 division has no county-level code in counties.csv; "
                "left unresolved (orders from its farms are not attributed to this pairing)"
            )
            return AreaRow(key, UNRESOLVED_AREA, "", name, text, "; ".join(notes))
        county = resolver.county(province, city)
        notes.append(f"the city of {label} (师市合一), a county-level unit under 自治区直辖")
        return AreaRow(key, "county", county.code, county.name, text, "; ".join(notes))

    if name in ALIASES:
        name, why = ALIASES[name]
        notes.append(why)

    if prefecture is None:
        found = resolver.prefecture(province, name)
        if found:
            return AreaRow(key, "prefecture", found[0], found[1], text, "; ".join(notes))
    county = resolver.county(province, name, prefecture)
    return AreaRow(key, "county", county.code, county.name, text, "; ".join(notes))


def resolve_helped_area(resolver: Resolver, key: str, province: str, text: str) -> list[AreaRow]:
    """Every unit named by one `helped_area` text, in source order."""
    rows: list[AreaRow] = []
    for group in re.split(r"[;；]", text):
        group = group.strip()
        if not group:
            continue
        prefecture: str | None = None
        items = group
        qualified = re.match(r"^(?P<prefecture>[^:：]+)[:：](?P<items>.+)$", group)
        if qualified:
            pref_name = qualified["prefecture"].strip()
            found = resolver.prefecture(province, ALIASES.get(pref_name, (pref_name, ""))[0])
            if found is None:
                raise Unresolvable(f"prefecture {pref_name} not found in {province}")
            prefecture, items = found[0], qualified["items"]
        for item in re.split(r"[、,，]", items):
            item = item.strip()
            if item:
                rows.append(_resolve_item(resolver, key, province, item, prefecture))
    return rows


def derive(directory: Path = REFERENCE_DIR) -> str:
    """The full text of pairing_areas.csv."""
    counties = read_counties(directory)
    resolver = Resolver(counties)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PAIRING_AREA_COLUMNS)
    for pairing in read_pairings(directory):
        if not pairing.helped_area:
            continue  # the whole helped province
        for row in resolve_helped_area(
            resolver, pairing.key, pairing.helped_province_code, pairing.helped_area
        ):
            writer.writerow(row.as_list())
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--directory", type=Path, default=REFERENCE_DIR)
    args = parser.parse_args(argv)
    target: Path = args.directory / PAIRING_AREAS_FILE
    try:
        text = derive(args.directory)
    except Unresolvable as exc:
        print(f"cannot resolve: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: rerun this script", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
