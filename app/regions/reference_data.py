"""Reading the region reference files (data/reference/*.csv) into checked, typed records."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.config import PROJECT_ROOT

REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"

COUNTIES_FILE = "counties.csv"
POVERTY_FILE = "poverty_counties_832.csv"
KEY_ASSISTANCE_FILE = "key_assistance_counties_160.csv"
PAIRINGS_FILE = "pairings.csv"
PAIRING_AREAS_FILE = "pairing_areas.csv"

PAIRING_AREA_COLUMNS = ("pairing_key", "area_kind", "code", "name", "source_text", "note")
# Rows of pairing_areas.csv that document a named unit without a code (兵团 divisions).
UNRESOLVED_AREA = "unresolved"


class ReferenceDataError(ValueError):
    """A reference file is missing, malformed or inconsistent with the others."""


@dataclass(frozen=True)
class CountyRecord:
    """One row of counties.csv (NBS 2023 codes), with its province and prefecture."""

    code: str
    name: str
    prefecture_code: str
    prefecture_name: str
    province_code: str
    province_name: str
    unit_kind: str


@dataclass(frozen=True)
class PairingRecord:
    """One row of pairings.csv, its helper and helped provinces resolved to codes."""

    key: str
    kind: str
    helper_province_code: str
    helper_area: str | None
    helped_province_code: str
    helped_area: str | None
    since: date | None
    source: str | None
    note: str | None


@dataclass(frozen=True)
class PairingAreaRecord:
    """One row of pairing_areas.csv (derived by scripts/derive_pairing_areas.py)."""

    pairing_key: str
    area_kind: str  # "prefecture", "county" or "unresolved"
    code: str | None
    name: str
    source_text: str
    note: str | None


@dataclass
class ReferenceData:
    """Everything the loader writes, read from one directory and cross-checked."""

    counties: list[CountyRecord]
    poverty_exit_years: dict[str, int | None]  # county code → exit year, for the 832 list
    key_assistance_codes: set[str]
    pairings: list[PairingRecord]
    pairing_areas: list[PairingAreaRecord] = field(default_factory=list)

    @property
    def provinces(self) -> dict[str, str]:
        return {c.province_code: c.province_name for c in self.counties}

    @property
    def prefectures(self) -> dict[str, tuple[str, str]]:
        """prefecture code → (name, province code)."""
        return {c.prefecture_code: (c.prefecture_name, c.province_code) for c in self.counties}


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise ReferenceDataError(f"reference file missing: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {k: (v or "").strip() for k, v in row.items() if k is not None}


def _blank_to_none(value: str) -> str | None:
    return value or None


def _six_digits(value: str, where: str) -> str:
    if len(value) != 6 or not value.isdigit():
        raise ReferenceDataError(f"{where}: {value!r} is not a six-digit code")
    return value


def read_counties(directory: Path = REFERENCE_DIR) -> list[CountyRecord]:
    """counties.csv, checked: six-digit codes, no duplicates, one name per province/prefecture."""
    records: list[CountyRecord] = []
    seen: set[str] = set()
    for row in _rows(directory / COUNTIES_FILE):
        record = CountyRecord(
            code=_six_digits(row["code"], COUNTIES_FILE),
            name=row["name"],
            prefecture_code=_six_digits(row["prefecture_code"], COUNTIES_FILE),
            prefecture_name=row["prefecture_name"],
            province_code=_six_digits(row["province_code"], COUNTIES_FILE),
            province_name=row["province_name"],
            unit_kind=row["unit_kind"],
        )
        if record.code in seen:
            raise ReferenceDataError(f"{COUNTIES_FILE}: duplicate code {record.code}")
        if record.code[:2] != record.province_code[:2]:
            raise ReferenceDataError(f"{COUNTIES_FILE}: {record.code} outside its province")
        seen.add(record.code)
        records.append(record)
    return records


def pairing_key(kind: str, helper_code: str, helped_code: str, helper_area: str | None) -> str:
    """The natural key of a reference pairing, e.g. "counterpart_support:440000:650000:深圳市".

    Stored in Pairing.reference_key so that reloading updates a row instead of adding one.
    """
    key = f"{kind}:{helper_code}:{helped_code}"
    return f"{key}:{helper_area}" if helper_area else key


def read_pairings(
    directory: Path = REFERENCE_DIR, province_codes: dict[str, str] | None = None
) -> list[PairingRecord]:
    """pairings.csv with province names resolved against counties.csv; keys are unique."""
    if province_codes is None:
        province_codes = {c.province_name: c.province_code for c in read_counties(directory)}
    records: list[PairingRecord] = []
    keys: set[str] = set()
    for line, row in enumerate(_rows(directory / PAIRINGS_FILE), start=2):
        where = f"{PAIRINGS_FILE} line {line}"
        try:
            helper = province_codes[row["helper_province"]]
            helped = province_codes[row["helped_province"]]
        except KeyError as exc:
            raise ReferenceDataError(f"{where}: unknown province {exc}") from None
        since_year = row["since_year"]
        if since_year and not (since_year.isdigit() and len(since_year) == 4):
            raise ReferenceDataError(f"{where}: since_year {since_year!r}")
        helper_area = _blank_to_none(row["helper_area"])
        record = PairingRecord(
            key=pairing_key(row["kind"], helper, helped, helper_area),
            kind=row["kind"],
            helper_province_code=helper,
            helper_area=helper_area,
            helped_province_code=helped,
            helped_area=_blank_to_none(row["helped_area"]),
            # The files give years only: a pairing counts from 1 January of its first year.
            since=date(int(since_year), 1, 1) if since_year else None,
            source=_blank_to_none(row["source"]),
            note=_blank_to_none(row["note"]),
        )
        if record.key in keys:
            raise ReferenceDataError(f"{where}: duplicate pairing {record.key}")
        keys.add(record.key)
        records.append(record)
    return records


def read_pairing_areas(directory: Path = REFERENCE_DIR) -> list[PairingAreaRecord]:
    """pairing_areas.csv as committed (see data/reference/SOURCES.md for its derivation)."""
    records = []
    for row in _rows(directory / PAIRING_AREAS_FILE):
        records.append(
            PairingAreaRecord(
                pairing_key=row["pairing_key"],
                area_kind=row["area_kind"],
                code=_blank_to_none(row["code"]),
                name=row["name"],
                source_text=row["source_text"],
                note=_blank_to_none(row["note"]),
            )
        )
    return records


def read_reference_data(directory: Path = REFERENCE_DIR) -> ReferenceData:
    """Read and cross-check every reference file; raise ReferenceDataError on any mismatch."""
    counties = read_counties(directory)
    by_code = {c.code: c for c in counties}
    prefecture_codes = {c.prefecture_code for c in counties}

    exit_years: dict[str, int | None] = {}
    for row in _rows(directory / POVERTY_FILE):
        code = _six_digits(row["code"], POVERTY_FILE)
        if code not in by_code:
            raise ReferenceDataError(f"{POVERTY_FILE}: {code} is not in {COUNTIES_FILE}")
        year = int(row["exit_year"]) if row["exit_year"] else None
        # 冷湖 and 茫崖 (both listed) are one county today, 茫崖市: keep the later exit year.
        previous = exit_years.get(code)
        if previous is not None and (year is None or previous > year):
            year = previous
        exit_years[code] = year

    key_codes: set[str] = set()
    for row in _rows(directory / KEY_ASSISTANCE_FILE):
        code = _six_digits(row["code"], KEY_ASSISTANCE_FILE)
        if code not in by_code:
            raise ReferenceDataError(f"{KEY_ASSISTANCE_FILE}: {code} is not in {COUNTIES_FILE}")
        key_codes.add(code)

    province_codes = {c.province_name: c.province_code for c in counties}
    pairings = read_pairings(directory, province_codes)
    pairing_keys = {p.key for p in pairings}
    areas = read_pairing_areas(directory)
    for area in areas:
        if area.pairing_key not in pairing_keys:
            raise ReferenceDataError(
                f"{PAIRING_AREAS_FILE}: unknown pairing {area.pairing_key!r}; "
                "rerun scripts/derive_pairing_areas.py"
            )
        if area.area_kind == UNRESOLVED_AREA:
            if area.code:
                raise ReferenceDataError(f"{PAIRING_AREAS_FILE}: unresolved row with a code")
        elif area.area_kind == "prefecture":
            if area.code not in prefecture_codes:
                raise ReferenceDataError(f"{PAIRING_AREAS_FILE}: unknown prefecture {area.code}")
        elif area.area_kind == "county":
            if area.code not in by_code:
                raise ReferenceDataError(f"{PAIRING_AREAS_FILE}: unknown county {area.code}")
        else:
            raise ReferenceDataError(f"{PAIRING_AREAS_FILE}: area_kind {area.area_kind!r}")
    # A pairing whose text names areas but none resolved would otherwise look like one that
    # helps its whole province: refuse it rather than over-attribute.
    resolved = {a.pairing_key for a in areas if a.area_kind != UNRESOLVED_AREA}
    for pairing in pairings:
        if pairing.helped_area and pairing.key not in resolved:
            raise ReferenceDataError(
                f"{PAIRING_AREAS_FILE}: no resolved area for {pairing.key} "
                f"({pairing.helped_area!r}); rerun scripts/derive_pairing_areas.py"
            )

    return ReferenceData(
        counties=counties,
        poverty_exit_years=exit_years,
        key_assistance_codes=key_codes,
        pairings=pairings,
        pairing_areas=areas,
    )
