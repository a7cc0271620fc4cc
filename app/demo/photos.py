"""Drawn demo product photos: a category-coloured card with the product's name in Chinese."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SIDE = 600

# (top colour, bottom colour, emblem character) per category: warm for fruit, green for tea…
_STYLES: dict[str, tuple[str, str, str]] = {
    "fruit": ("#f6a03c", "#d9531e", "果"),
    "vegetables": ("#8cc152", "#3b7d23", "蔬"),
    "grain_oil": ("#f2c94c", "#b7791f", "粮"),
    "tea": ("#7fb77e", "#2f6b3a", "茶"),
    "meat_eggs": ("#e5735b", "#9b2c2c", "肉"),
    "aquatic": ("#5dade2", "#1f5f8b", "鲜"),
    "mushrooms": ("#c8a27a", "#6d4c2f", "菇"),
    "nuts": ("#d4a373", "#7f5539", "果"),
    "herbs": ("#a3b18a", "#4a5a3a", "药"),
    "condiments": ("#e76f51", "#8d3b1f", "味"),
    "bee_products": ("#ffd166", "#d38b00", "蜜"),
    "drinks": ("#b388eb", "#5e3a8c", "饮"),
    "crafts": ("#9fa8da", "#3949ab", "艺"),
    "other": ("#9ccc9c", "#2f7d32", "品"),
}


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if CJK_FONT.exists():
        return ImageFont.truetype(str(CJK_FONT), size)
    # Without a CJK font Chinese would draw as boxes; Pillow's own font still draws the card.
    return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, largest: int, width: int) -> ImageFont.ImageFont:
    size = largest
    font = _font(size)
    while size > 24 and draw.textlength(text, font=font) > width:
        size -= 4
        font = _font(size)
    return font  # type: ignore[return-value]


def draw_product_photo(title: str, subtitle: str, category: str) -> bytes:
    """A 600×600 JPEG: gradient background, emblem, product name and origin."""
    top, bottom, emblem = _STYLES.get(category, _STYLES["other"])
    gradient = Image.linear_gradient("L").resize((SIDE, SIDE))
    image = ImageOps.colorize(gradient, top, bottom).convert("RGB")
    draw = ImageDraw.Draw(image)
    # Soft rings behind the emblem: decoration that reads well as a small thumbnail.
    draw.ellipse((330, -120, 720, 270), outline="#ffffff", width=3)
    draw.ellipse((-190, 440, 150, 780), outline="#ffffff", width=2)
    draw.ellipse((190, 70, 410, 290), fill="#ffffff")
    draw.text((300, 180), emblem, font=_font(130), fill=bottom, anchor="mm")
    draw.text((300, 385), title, font=_fit(draw, title, 76, SIDE - 60), fill="#ffffff", anchor="mm")
    draw.text((300, 465), subtitle, font=_font(30), fill="#fffbea", anchor="mm")
    draw.rounded_rectangle((200, 515, 400, 557), radius=21, fill="#ffffff")
    draw.text((300, 536), "丰收 · 消费帮扶", font=_font(22), fill=bottom, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()
