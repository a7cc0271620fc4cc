"""Which pairings an entry counts for, by the regions domain's one rule for helped areas.

- `east_west` / `counterpart_support`: the helper province is the buyer's province and the
  origin county lies in the helped area of a pairing in force on the entry's China date;
- `designated`: the buyer organisation is the helper of a designated pairing in force that
  names the origin county (its designated counties).

The date is the China date of the order's payment, for the sale and for its refunds alike: a
refund takes back exactly what its sale gave each pairing (the writer copies the sale's
attributions; this date rule is what reconcile and a sale-less refund fall back on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.regions.models import County, HelperKind, Pairing, PairingKind
from app.regions.service import pairing_helps_county

_PROVINCE_KINDS = frozenset({PairingKind.EAST_WEST, PairingKind.COUNTERPART_SUPPORT})


@dataclass(frozen=True)
class Buyer:
    """The buyer as the attribution rule sees it."""

    province_code: str
    organization_id: int | None


def counts_for_buyer(pairing: Pairing, buyer: Buyer) -> bool:
    """The helper side of the rule (the helped side is regions' pairing_helps_county)."""
    if pairing.kind in _PROVINCE_KINDS:
        return (
            pairing.helper_kind == HelperKind.PROVINCE
            and pairing.helper_province_code == buyer.province_code
        )
    return (
        pairing.kind == PairingKind.DESIGNATED
        and buyer.organization_id is not None
        and pairing.helper_organization_id == buyer.organization_id
    )


class PairingIndex:
    """Pairings (areas loaded) by helped province, to attribute many entries in memory."""

    def __init__(self, pairings: Iterable[Pairing]) -> None:
        self._by_province: dict[str, list[Pairing]] = {}
        for pairing in pairings:
            self._by_province.setdefault(pairing.helped_province_code, []).append(pairing)

    def pairing_ids(self, county: County, buyer: Buyer, on: date) -> tuple[int, ...]:
        """The ids, ascending, of the pairings an entry from `county` bought by `buyer` on
        `on` counts for."""
        candidates = self._by_province.get(county.province_code, ())
        return tuple(
            sorted(
                p.id
                for p in candidates
                if counts_for_buyer(p, buyer) and pairing_helps_county(p, county, on=on)
            )
        )
