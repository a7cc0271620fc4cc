"""Money is an integer number of fen (分), currency CNY; this module holds the one rounding rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100
BASIS_POINTS = 10_000


def apply_basis_points(amount_fen: int, basis_points: int) -> int:
    """amount × bp / 10 000, rounded half away from zero to a whole fen (the only rounding)."""
    exact = Decimal(amount_fen) * Decimal(basis_points) / Decimal(BASIS_POINTS)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_bp(part: int, whole: int | None) -> int | None:
    """part / whole in basis points, rounded down (a share or a progress is never overstated);
    None when there is no whole (none, zero or less)."""
    if whole is None or whole <= 0:
        return None
    return part * BASIS_POINTS // whole


def yuan_to_fen(yuan: Decimal | int | str) -> int:
    """Exact yuan (as text or Decimal, never float) to fen; refuses fractions of a fen."""
    value = Decimal(yuan) * FEN_PER_YUAN
    if value != value.to_integral_value():
        raise ValueError(f"{yuan} yuan is not a whole number of fen")
    return int(value)


def format_yuan(amount_fen: int) -> str:
    """'¥1,234.50' for 123450 fen; the display is left to the template filter that calls this."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}¥{yuan:,}.{fen:02d}"
