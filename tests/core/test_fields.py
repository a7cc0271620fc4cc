"""The shared field rules: yuan typed in a form, text without control characters, ids."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from app.core.fields import (
    MAX_ID,
    Id,
    MultiLine,
    OneLine,
    has_control_characters,
    in_bigint_range,
    parse_id,
    parse_yuan,
    yuan_text,
)


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("39.8", 3980),
        ("39.80", 3980),
        (" 12 ", 1200),
        ("0", 0),
        ("1,234.50", 123450),
        ("¥58", 5800),
        ("￥ 58", 5800),
        ("99999999", 9_999_999_900),
    ],
)
def test_parse_yuan_reads_amounts_as_typed_exactly(typed: str, fen: int) -> None:
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "-1", "8.005", "1e3", "NaN", "Infinity", "１２", "1.", ".5", "1" * 21, "5¥"],
)
def test_parse_yuan_refuses_anything_else(typed: str) -> None:
    assert parse_yuan(typed) is None


def test_yuan_text_is_what_parse_yuan_reads_back() -> None:
    for fen in (0, 5, 3980, 123450):
        assert parse_yuan(yuan_text(fen)) == fen
    assert yuan_text(3980) == "39.80"


def test_control_characters_and_lone_surrogates_are_found() -> None:
    for text in ("a\x00b", "\x85", "\ud800", "a\nb", "\t"):
        assert has_control_characters(text), repr(text)
    assert not has_control_characters("融水香糯 (5kg)")
    assert not has_control_characters("第一行\n第二行\r\n\t缩进", multiline=True)
    assert has_control_characters("第一行\x00", multiline=True)


class _Texts(BaseModel):
    title: OneLine = ""
    description: MultiLine = ""
    id: Id | None = None


def test_the_text_and_id_types_refuse_with_field_errors() -> None:
    assert _Texts(title="茶", description="一\n二", id=MAX_ID).id == MAX_ID
    assert _Texts(title="茶", id=12.0).id == 12  # JSON's 12.0 is the number 12
    for values in (
        {"title": "a\nb"},
        {"description": "a\x00"},
        {"id": MAX_ID + 1},
        {"id": 0},
        {"id": "1"},
        {"id": 12.5},
        {"id": True},
        {"id": float("inf")},
        {"id": 1e300},
    ):
        with pytest.raises(ValidationError):
            _Texts.model_validate(values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("9" * 5000, None),  # refused before int(), which refuses past 4300 digits anyway
        ("0", None),
        ("007", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("١٢", None),  # Arabic-Indic digits: int() would read them
        ("", None),
        (12, None),  # not text
        (None, None),
    ],
)
def test_parse_id_takes_only_ids_a_bigint_can_hold(text: object, expected: int | None) -> None:
    assert parse_id(text) == expected


def test_in_bigint_range() -> None:
    assert in_bigint_range(0) and in_bigint_range(MAX_ID) and in_bigint_range(-MAX_ID - 1)
    assert not in_bigint_range(MAX_ID + 1)
    assert not in_bigint_range(True)
    assert not in_bigint_range("1")
    assert not in_bigint_range(1.0)
