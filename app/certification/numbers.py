"""Certificate number formats per kind: normalising what people type and checking it."""

from __future__ import annotations

import re
import unicodedata

from app.certification.models import CertificateKind

# Longer input is refused before any work: the longest valid number has 19 characters.
MAX_INPUT_LENGTH = 100

# [0-9], not \d: \d would also accept digits of other scripts.
_PATTERNS: dict[CertificateKind, re.Pattern[str]] = {
    # 农产品地理标志登记证书: AGI + 5 digits.
    CertificateKind.GI: re.compile(r"AGI[0-9]{5}"),
    # 绿色食品企业信息码 / 产品编号: LB-<class>-<yymm><province><serial><grade>.
    CertificateKind.GREEN_FOOD: re.compile(
        r"LB-(?P<cls>[0-9]{2})-(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})"
        r"(?P<province>[0-9]{2})(?P<serial>[0-9]{4})(?P<grade>AA|A)"
    ),
    # 有机产品认证证书: certifier code + OP + 2-digit year + 5-digit serial.
    CertificateKind.ORGANIC: re.compile(r"[0-9]{3}OP[0-9]{2}[0-9]{5}"),
}

EXPECTED_FORMAT: dict[CertificateKind, str] = {
    CertificateKind.GI: "A GI certificate number is AGI followed by 5 digits, e.g. AGI00122.",
    CertificateKind.GREEN_FOOD: (
        "A green food certificate number is LB-, a 2-digit product class, -, 10 digits "
        "(year and month yymm with month 01-12, 2-digit province, 4-digit serial) and the "
        "grade A or AA, e.g. LB-15-1806040659A."
    ),
    CertificateKind.ORGANIC: (
        "An organic certificate number is a 3-digit certifier code, OP, a 2-digit year and "
        "a 5-digit serial, e.g. 001OP2112345."
    ),
}

# Dashes people paste from word processors and input methods; NFKC leaves these alone.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63"), "-")


def normalize_number(raw: str) -> str:
    """Full-width → half-width (NFKC), any dash → '-', no whitespace, upper case."""
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES)
    return "".join(text.split()).upper()


def number_problem(kind: CertificateKind, number: str) -> str | None:
    """None when the normalised `number` has the format of `kind`, else what is expected."""
    match = _PATTERNS[kind].fullmatch(number)
    if match is None:
        return EXPECTED_FORMAT[kind]
    if kind is CertificateKind.GREEN_FOOD and not 1 <= int(match["mm"]) <= 12:
        return EXPECTED_FORMAT[kind]
    return None


def checked_number(kind: CertificateKind, raw: str) -> tuple[str, str | None]:
    """(normalised number, None) when valid, else (what was typed, the expected format)."""
    if len(raw) > MAX_INPUT_LENGTH:
        return raw[:MAX_INPUT_LENGTH], EXPECTED_FORMAT[kind]
    number = normalize_number(raw)
    return number, number_problem(kind, number)
