"""The portal catalog pages' wording: the service speaks English field problems, the page the
visitor's language; and the labels of statuses, kinds and months."""

from __future__ import annotations

from app.web.forms import check_this
from app.web.i18n import gettext as _
from app.web.i18n import month_name


def _field_messages() -> dict[str, str]:
    return {
        "title": _("商品名称应为 2 到 120 个字符。"),
        "category": _("请选择商品类目。"),
        "unit": _("请填写销售单位，最多 30 个字符。"),
        "description": _("商品介绍最多 20000 个字符。"),
        "status": _("请选择商品状态。"),
        "certificate_ids": _("所选证书无效，请重新选择本供应商的证书。"),
        "season_months": _("应季月份应为 1 到 12 月。"),
        "sku_code": _("规格编码为 1 到 40 位字母、数字、点、下划线或短横线。"),
        "sku_name": _("请填写规格名称，最多 100 个字符。"),
        "sku_price": _("请输入大于 0 的价格（元，最多两位小数，不超过一千万元）。"),
        "sku_stock": _("库存应为 0 到 10000000 的整数。"),
        "sku_weight": _("重量应为 0 到 1000000 克的整数。"),
        "sku_min_qty": _("起订量应为 1 到 100000 的整数。"),
        "tier_min_qty": _("阶梯数量须为整数，且大于起订量和上一档数量。"),
        "tier_price": _("阶梯单价须低于基础价和上一档单价（元，最多两位小数）。"),
        "price": _("请输入大于 0 的价格（元，最多两位小数），且须高于各档阶梯价。"),
        "stock": _("库存应为 0 到 10000000 的整数。"),
        "file": _("请上传 JPEG、PNG 或 WebP 图片。"),
        "shelf_life_days": _("保质期应为 1 到 3650 天的整数。"),
        "storage_conditions": _("贮存条件最多 100 个字符。"),
        "food_licence_number": _("食品生产许可证编号应为 SC 加 14 位数字，例如 SC10636072300015。"),
        "photos": _("上架前请先上传至少一张商品图片。"),
        "brand_id": _("请从列表中选择区域公用品牌。"),
    }


def _code_messages() -> dict[str, str]:
    """Messages for errors whose code says more than the field does."""
    return {
        "sku_code_taken": _("该规格编码已被使用，请换一个。"),
        "unknown_category": _("请选择列表中的商品类目。"),
        "unknown_certificates": _("所选证书不属于本供应商。"),
        "sku_required": _("上架前请至少填写一个规格（编码、名称和价格）。"),
        "unsupported_type": _("只接受 JPEG、PNG 或 WebP 图片。"),
        "too_large": _("图片不能超过 8 MB。"),
        "invalid_image": _("图片无法使用：每边至少 200 像素、最多 8000 像素。"),
        "too_many_pixels": _("图片像素过多：最多 2500 万像素（例如 5000×5000），请缩小后再上传。"),
        "too_many_photos": _("每个商品最多 10 张图片，请先删除一张。"),
        "photo_required": _("上架前请先上传至少一张商品图片：可先保存为草稿，上传图片后再上架。"),
        "brand_region_mismatch": _("本县不在该品牌的产区内。"),
        "brand_certificate_missing": _(
            "该品牌要求商品关联一张有效的对应认证证书，请先在上方勾选。"
        ),
        "brand_not_found": _("请从列表中选择区域公用品牌。"),
        "food_licence_required": _(
            "该类目属于加工食品，上架前须填写食品生产许可证编号（SC 加 14 位数字）。"
        ),
    }


def problem_messages(fields: dict[str, str], code: str | None = None) -> dict[str, str]:
    """One message per form field with a problem, in the page's language."""
    by_field, by_code = _field_messages(), _code_messages()
    messages: dict[str, str] = {}
    for key in fields:
        base = key.split(".")[0]
        specific = by_code.get(code) if code and code != "validation_failed" else None
        messages[key] = specific or by_field.get(base, check_this())
    return messages


def photo_problem(code: str) -> str:
    """Why an uploaded photo was refused."""
    return _code_messages().get(code, _field_messages()["file"])


def form_error(code: str | None) -> str:
    """The line above a form that came back with problems."""
    if code == "supplier_not_verified":
        return _("供应商通过平台核验后才能上架商品；可先保存为草稿。")
    if code == "photo_required":
        return _("上架前请先上传至少一张商品图片：可先保存为草稿，上传图片后再上架。")
    if code == "food_licence_required":
        return _("该类目属于加工食品，上架前须填写食品生产许可证编号。")
    return _("请修改标出的内容后再提交。")


def labels() -> dict[str, dict[str, str]]:
    return {
        "status": {"draft": _("草稿"), "active": _("在售"), "archived": _("已下架")},
        "kind": {"gi": _("地理标志农产品"), "green_food": _("绿色食品"), "organic": _("有机产品")},
        "certificate_status": {
            "pending": _("待核验"),
            "verified": _("已核验"),
            "rejected": _("未通过"),
            "revoked": _("已撤销"),
        },
        "supplier_status": {
            "pending": _("待核验"),
            "verified": _("已核验"),
            "suspended": _("已暂停"),
            "rejected": _("未通过"),
        },
    }


def months() -> list[tuple[int, str]]:
    return [(m, month_name(m)) for m in range(1, 13)]
