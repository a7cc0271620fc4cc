"""What the demo products' labels say: shelf life and storage by category, and a food
production licence number for those whose category needs one (GB 7718, SC numbers)."""

from __future__ import annotations

from typing import Any

# Typical label values of each category: (shelf life in days or None, storage conditions).
_FACTS: dict[str, tuple[int | None, str]] = {
    "fruit": (15, "0–4℃冷藏或阴凉通风处保存"),
    "vegetables": (7, "0–4℃冷藏保存"),
    "grain_oil": (365, "阴凉干燥处保存，避免阳光直射"),
    "tea": (540, "密封、避光、防潮、防异味保存"),
    "meat_eggs": (180, "-18℃以下冷冻保存"),
    "aquatic": (180, "-18℃以下冷冻保存"),
    "mushrooms": (365, "干燥阴凉处密封保存"),
    "nuts": (270, "阴凉干燥处密封保存"),
    "herbs": (730, "阴凉干燥处保存，防潮防蛀"),
    "condiments": (540, "阴凉干燥处保存，开封后请冷藏"),
    "bee_products": (730, "常温避光保存，勿冷藏"),
    "drinks": (365, "阴凉避光处保存"),
    "crafts": (None, ""),
}


def shelf_life_and_storage(category: str) -> dict[str, Any]:
    days, storage = _FACTS.get(category, (365, "阴凉干燥处保存"))
    return {"shelf_life_days": days, "storage_conditions": storage}


def food_licence_number(county_code: str, position: int) -> str:
    """A well-formed (not a real) licence: food category 1xx, the supplier's county as the
    issuing office, a serial from the product's position and a check digit."""
    body = f"1{position % 100:02d}{county_code}{position % 10_000:04d}"
    check = sum(int(d) * (i + 1) for i, d in enumerate(body)) % 10
    return f"SC{body}{check}"
