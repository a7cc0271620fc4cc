"""The express carriers suppliers ship with, and where a buyer follows a parcel.

Tracking links go to kuaidi100's public query page, which knows every carrier below by its
code; a carrier typed by hand ("其他") gets no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

TRACKING_PAGE = "https://www.kuaidi100.com/chaxun"


@dataclass(frozen=True)
class Carrier:
    name: str  # as stored and shown: the carrier's Chinese name
    english: str
    code: str  # kuaidi100's code
    aliases: tuple[str, ...] = ()


CARRIERS = (
    Carrier("顺丰速运", "SF Express", "shunfeng", ("顺丰", "sf", "sf express")),
    Carrier("京东物流", "JD Logistics", "jd", ("京东", "京东快递", "jd")),
    Carrier("中国邮政 EMS", "China Post EMS", "ems", ("ems", "邮政", "中国邮政", "邮政ems")),
    Carrier("中通快递", "ZTO Express", "zhongtong", ("中通", "zto")),
    Carrier("圆通速递", "YTO Express", "yuantong", ("圆通", "yto")),
    Carrier("申通快递", "STO Express", "shentong", ("申通", "sto")),
    Carrier("韵达快递", "Yunda Express", "yunda", ("韵达", "yunda")),
    Carrier("百世快递", "Best Express", "huitongkuaidi", ("百世", "百世汇通", "best")),
    Carrier("德邦快递", "Deppon Express", "debangwuliu", ("德邦", "德邦物流", "deppon")),
)
_BY_NAME = {
    spelling.casefold().replace(" ", ""): carrier
    for carrier in CARRIERS
    for spelling in (carrier.name, carrier.english, carrier.code, *carrier.aliases)
}


def find_carrier(name: str | None) -> Carrier | None:
    """The known carrier a typed name means ("顺丰", "SF Express", "中通快递"), if any."""
    if not name:
        return None
    return _BY_NAME.get(name.strip().casefold().replace(" ", ""))


def tracking_url(carrier_name: str | None, tracking_number: str | None) -> str | None:
    """Where the buyer follows the parcel; None for a carrier typed by hand."""
    carrier = find_carrier(carrier_name)
    if carrier is None or not tracking_number:
        return None
    return f"{TRACKING_PAGE}?{urlencode({'com': carrier.code, 'nu': tracking_number})}"
