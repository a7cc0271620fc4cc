"""Field rules shared by the JSON models, the page forms and the services: ids, text, yuan."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, TypeGuard

from pydantic import AfterValidator, BeforeValidator, Field

from app.core.money import FEN_PER_YUAN, yuan_to_fen

# Ids are BIGINT: a larger number names nothing (and must not reach the database).
MAX_ID = 2**63 - 1


def _whole_number(value: object) -> object:
    # JSON has one kind of number, and JSON Schema (hence the OpenAPI document) counts 12.0 as
    # the integer 12: a client that writes it so means 12. 12.5, "12" and true stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The last metadata of every strict integer in a JSON body, after its Field (placed before
# the bounds, pydantic would no longer publish them as minimum/maximum):
# `Annotated[StrictInt, Field(ge=1), WHOLE_NUMBER]`.
WHOLE_NUMBER = BeforeValidator(_whole_number)

# A record's id in a JSON body: a strict integer (a JSON "12", 12.5 or true is refused).
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID), WHOLE_NUMBER]

# An id written as text: ASCII digits without a leading zero, at most as long as MAX_ID.
_ID_TEXT = re.compile(r"[1-9][0-9]{0,18}")


def parse_id(text: object) -> int | None:
    """The id a text from outside (a provider's metadata, a form field) names, or None when it
    is no id at all: not a string, not plain ASCII digits ("²" passes str.isdigit() and then
    fails int()), or beyond BIGINT, which the database would refuse with an error (SQLite's
    driver raises OverflowError past 64 bits)."""
    if not isinstance(text, str) or not _ID_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def in_bigint_range(value: object) -> TypeGuard[int]:
    """A JSON number from outside that a BIGINT column can hold (booleans are no numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_ID - 1 <= value <= MAX_ID


# ---------------------------------------------------------------------------------------------
# Text

_LINE_BREAKS = frozenset({"\n", "\r", "\t"})


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """Control characters or lone surrogates in the text (line breaks and tabs allowed when
    `multiline`): invisible, and PostgreSQL refuses NUL and surrogates outright, so they are
    stopped at the field rather than as a database error."""
    allowed = _LINE_BREAKS if multiline else frozenset()
    return any(unicodedata.category(char) in {"Cc", "Cs"} and char not in allowed for char in text)


def _one_line(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _multi_line(value: str) -> str:
    if has_control_characters(value, multiline=True):
        raise ValueError("must not contain control characters")
    return value


# Text on one line without control characters (a title, a code, a search query).
OneLine = Annotated[str, AfterValidator(_one_line)]
# Text that may span lines but holds no other control characters (a description).
MultiLine = Annotated[str, AfterValidator(_multi_line)]


# ---------------------------------------------------------------------------------------------
# Amounts in yuan, as typed into a form

# ASCII digits only (\d would also take other scripts' digits, which Decimal then happily reads),
# at most two decimals: a fraction of a fen, an exponent, a sign, NaN or Infinity is no amount.
_YUAN_TEXT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
# Longer than any amount the platform knows; Decimal never sees thousands of digits.
YUAN_TEXT_MAX_CHARACTERS = 20


def parse_yuan(text: str) -> int | None:
    """Fen from an amount in yuan as typed ("39.8", "1,234.50", "¥58" → 3980, 123450, 5800),
    converted exactly; None for anything that is not a non-negative amount in yuan."""
    cleaned = text.strip().replace(",", "").removeprefix("¥").removeprefix("￥").strip()
    if len(cleaned) > YUAN_TEXT_MAX_CHARACTERS or not _YUAN_TEXT.fullmatch(cleaned):
        return None
    return yuan_to_fen(cleaned)


def yuan_text(amount_fen: int) -> str:
    """Fen as yuan the way a form shows it and posts it back: 3980 → "39.80"."""
    yuan, fen = divmod(amount_fen, FEN_PER_YUAN)
    return f"{yuan}.{fen:02d}"
