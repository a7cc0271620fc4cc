"""A fixture catalogue of 60 real specialty products of poverty-lifted counties, for search tests.

Counties carry their GB/T 2260 codes and key-assistance flags from data/reference; prices and
dates are made up but plausible. Relevance tests rely on a few deliberate facts, noted inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from search import ProductDocument
from search.places import Place


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture: str
    province_code: str
    province: str
    key_assistance: bool


COUNTIES = {
    c.code: c
    for c in [
        County("360734", "寻乌县", "赣州市", "360000", "江西省", False),
        County("360726", "安远县", "赣州市", "360000", "江西省", False),
        County("360733", "会昌县", "赣州市", "360000", "江西省", False),
        County("420527", "秭归县", "宜昌市", "420000", "湖北省", False),
        County("500236", "奉节县", "重庆市", "500000", "重庆市", False),
        County("431226", "麻阳苗族自治县", "怀化市", "430000", "湖南省", False),
        County("510824", "苍溪县", "广元市", "510000", "四川省", False),
        County("620826", "静宁县", "平凉市", "620000", "甘肃省", False),
        County("530602", "昭阳区", "昭通市", "530000", "云南省", True),
        County("640521", "中宁县", "中卫市", "640000", "宁夏回族自治区", False),
        County("620421", "靖远县", "白银市", "620000", "甘肃省", False),
        County("513422", "木里藏族自治县", "凉山彝族自治州", "510000", "四川省", False),
        County("513431", "昭觉县", "凉山彝族自治州", "510000", "四川省", True),
        County("513429", "布拖县", "凉山彝族自治州", "510000", "四川省", True),
        County("513436", "美姑县", "凉山彝族自治州", "510000", "四川省", True),
        County("621102", "安定区", "定西市", "620000", "甘肃省", False),
        County("640422", "西吉县", "固原市", "640000", "宁夏回族自治区", True),
        County("520526", "威宁彝族回族苗族自治县", "毕节市", "520000", "贵州省", True),
        County("630222", "民和回族土族自治县", "海东市", "630000", "青海省", False),
        County("411725", "确山县", "驻马店市", "410000", "河南省", False),
        County("421122", "红安县", "黄冈市", "420000", "湖北省", False),
        County("520627", "沿河土家族自治县", "铜仁市", "520000", "贵州省", True),
        County("422801", "恩施市", "恩施土家族苗族自治州", "420000", "湖北省", False),
        County("520328", "湄潭县", "遵义市", "520000", "贵州省", False),
        County("610924", "紫阳县", "安康市", "610000", "陕西省", False),
        County("532822", "勐海县", "西双版纳傣族自治州", "530000", "云南省", False),
        County("420325", "房县", "十堰市", "420000", "湖北省", False),
        County("222424", "汪清县", "延边朝鲜族自治州", "220000", "吉林省", False),
        County("621224", "康县", "陇南市", "620000", "甘肃省", False),
        County("451223", "凤山县", "河池市", "450000", "广西壮族自治区", True),
        County("620623", "天祝藏族自治县", "武威市", "620000", "甘肃省", False),
        County("632623", "甘德县", "果洛藏族自治州", "630000", "青海省", False),
        County("150430", "敖汉旗", "赤峰市", "150000", "内蒙古自治区", False),
        County("230524", "饶河县", "双鸭山市", "230000", "黑龙江省", False),
        County("500229", "城口县", "重庆市", "500000", "重庆市", True),
        County("500240", "石柱土家族自治县", "重庆市", "500000", "重庆市", False),
        County("620523", "甘谷县", "天水市", "620000", "甘肃省", False),
        County("611023", "商南县", "商洛市", "610000", "陕西省", False),
        County("511722", "宣汉县", "达州市", "510000", "四川省", False),
        County("610729", "留坝县", "汉中市", "610000", "陕西省", False),
        County("513223", "茂县", "阿坝藏族羌族自治州", "510000", "四川省", False),
        County("621202", "武都区", "陇南市", "620000", "甘肃省", False),
        County("610723", "洋县", "汉中市", "610000", "陕西省", False),
        County("640323", "盐池县", "吴忠市", "640000", "宁夏回族自治区", False),
        County("522632", "榕江县", "黔东南苗族侗族自治州", "520000", "贵州省", True),
    ]
}

CATEGORY_LABELS = {
    "fruit": "水果",
    "vegetables": "蔬菜",
    "grain_oil": "粮油",
    "tea": "茶叶",
    "meat_eggs": "肉禽蛋",
    "mushrooms": "菌菇",
    "nuts": "干果坚果",
    "condiments": "调味品",
    "bee_products": "蜂产品",
    "crafts": "手工艺品",
    "other": "其他",
}

# Dates are relative to this moment; `TODAY` is the day searches are made on.
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
# Product 12's GI certificate ends on this day: from the next day on, its label is gone.
GOUQI_GI_UNTIL = date(2026, 12, 31)


@dataclass(frozen=True)
class Row:
    id: int
    title: str
    category: str
    county: str
    price_yuan: int
    days_ago: int
    labels: dict[str, date | None]
    description: str = ""
    in_stock: bool = True
    popularity: int = 0


FAR = date(2028, 12, 31)

ROWS: list[Row] = [
    # Oranges. 赣南脐橙 (1) is the newest 脐橙 and none is in a key-assistance county, so it leads
    # every query that matches the 脐橙 products equally (脐橙, qicheng, qc).
    Row(
        1,
        "赣南脐橙 5kg/箱 当季现摘",
        "fruit",
        "360734",
        59,
        1,
        {"gi": FAR},
        "赣南脐橙核心产区寻乌县果园直发，果肉饱满，化渣多汁。",
    ),
    Row(2, "寻乌蜜桔 5kg/箱", "fruit", "360734", 45, 9, {}, "寻乌县山地蜜桔，皮薄汁多。"),
    Row(3, "安远脐橙 5kg/箱", "fruit", "360726", 59, 12, {"gi": FAR}, "安远县脐橙，酸甜适中。"),
    Row(4, "会昌脐橙 5kg/箱", "fruit", "360733", 56, 15, {}, "会昌县高山脐橙。"),
    Row(5, "秭归脐橙 5kg/箱", "fruit", "420527", 62, 18, {"green_food": FAR}, "长江三峡秭归脐橙。"),
    Row(6, "奉节脐橙 5kg/箱", "fruit", "500236", 65, 20, {"gi": FAR}, "重庆奉节脐橙，诗城名果。"),
    Row(7, "麻阳冰糖橙 5kg/箱", "fruit", "431226", 59, 7, {}, "湘西麻阳冰糖橙，清甜少酸。"),
    # Kiwifruit: one titled 猕猴桃, one titled 奇异果 (synonyms of each other).
    Row(
        8,
        "苍溪红心猕猴桃 3kg/箱",
        "fruit",
        "510824",
        69,
        5,
        {"gi": FAR},
        "苍溪红心猕猴桃，软糯香甜。",
    ),
    Row(9, "红心奇异果 2.5kg/箱", "fruit", "510824", 59, 30, {}, "四川广元山区种植，冷链发货。"),
    Row(10, "静宁苹果 5kg/箱", "fruit", "620826", 69, 14, {"gi": FAR}, "甘肃静宁红富士苹果。"),
    Row(11, "昭通苹果 5kg/箱", "fruit", "530602", 69, 16, {}, "云南昭通高原苹果，脆甜。"),
    # Goji: 宁夏中宁枸杞 (12) is the newest goji; its GI ends on GOUQI_GI_UNTIL.
    Row(
        12,
        "宁夏中宁枸杞 500g/袋 特级头茬",
        "nuts",
        "640521",
        49,
        2,
        {"gi": GOUQI_GI_UNTIL},
        "中宁县枸杞，颗粒饱满，可泡水煲汤。",
        popularity=80,
    ),
    Row(13, "靖远枸杞 500g/袋", "nuts", "620421", 45, 25, {}, "甘肃白银靖远县枸杞。"),
    # Potatoes. 14 and 15 are the same listing from two 凉山 counties; 15 is in a key-assistance
    # county and older: at equal relevance it must still come first.
    Row(14, "凉山马铃薯 5kg/箱", "vegetables", "513422", 25, 1, {}, "大凉山高原马铃薯。"),
    Row(15, "凉山马铃薯 5kg/箱", "vegetables", "513431", 25, 20, {}, "大凉山高原马铃薯。"),
    Row(
        16,
        "定西马铃薯 10kg/袋",
        "vegetables",
        "621102",
        39,
        8,
        {"green_food": FAR},
        "中国薯都定西，淀粉含量高。",
    ),
    Row(17, "西吉马铃薯 5kg/箱", "vegetables", "640422", 26, 11, {}, "宁夏西吉冷凉山区马铃薯。"),
    Row(18, "威宁洋芋 5kg/箱 高山黄心", "vegetables", "520526", 28, 13, {}, "乌蒙山区黄心洋芋。"),
    Row(19, "民和土豆 5kg/箱", "vegetables", "630222", 24, 17, {}, "青海民和川水地土豆。"),
    # Sweet potatoes under three names.
    Row(
        20, "瓦岗红薯 5kg/箱", "vegetables", "411725", 29, 6, {}, "确山县瓦岗沙土地红薯，香甜软糯。"
    ),
    Row(21, "红安苕 红心番薯 5kg/箱", "vegetables", "421122", 29, 19, {}, "大别山红安苕。"),
    Row(22, "沿河地瓜干 500g/袋", "other", "520627", 19, 4, {}, "土家手工晒制地瓜干。"),
    # Tea.
    Row(23, "恩施玉露 250g/罐", "tea", "422801", 168, 3, {"gi": FAR}, "蒸青绿茶，恩施硒茶。"),
    Row(24, "湄潭翠芽 绿茶 250g/罐", "tea", "520328", 138, 10, {}, "贵州湄潭茶区明前翠芽。"),
    Row(25, "紫阳富硒茶 250g/罐", "tea", "610924", 108, 21, {"organic": FAR}, "陕南紫阳富硒茶叶。"),
    Row(26, "勐海普洱茶 357g/饼", "tea", "532822", 198, 40, {}, "西双版纳勐海古树普洱茶。"),
    Row(27, "房县黑木耳 250g/袋", "mushrooms", "420325", 39, 9, {}, "神农架林区段木黑木耳。"),
    Row(
        28,
        "汪清黑木耳 250g/袋",
        "mushrooms",
        "222424",
        39,
        22,
        {"green_food": FAR},
        "长白山汪清黑木耳。",
    ),
    Row(29, "康县木耳 250g/袋", "mushrooms", "621224", 36, 26, {}, "陇南康县椴木木耳。"),
    Row(30, "房县核桃 1kg/袋", "nuts", "420325", 45, 12, {}, "十堰房县薄壳核桃。"),
    Row(31, "凤山核桃 1kg/袋", "nuts", "451223", 45, 28, {}, "广西凤山高山核桃。"),
    Row(
        32, "天祝白牦牛肉 1kg/袋", "meat_eggs", "620623", 158, 15, {"gi": FAR}, "祁连山天祝白牦牛。"
    ),
    Row(33, "甘德牦牛 风干牛肉 500g/袋", "meat_eggs", "632623", 128, 23, {}, "果洛高原风干牛肉。"),
    Row(
        34,
        "敖汉小米 2.5kg/袋",
        "grain_oil",
        "150430",
        45,
        16,
        {"green_food": FAR},
        "赤峰敖汉旱作小米。",
    ),
    Row(
        35,
        "饶河东北黑蜂蜂蜜 500g/瓶",
        "bee_products",
        "230524",
        98,
        18,
        {"organic": FAR},
        "乌苏里江畔椴树蜜。",
    ),
    Row(36, "城口土蜂蜜 500g/瓶", "bee_products", "500229", 88, 6, {}, "大巴山中华蜂百花蜜。"),
    Row(37, "石柱红辣椒 500g/袋", "condiments", "500240", 32, 14, {}, "石柱土家族自治县朝天椒。"),
    Row(38, "甘谷辣椒 500g/袋", "condiments", "620523", 32, 24, {"gi": FAR}, "天水甘谷线椒。"),
    Row(39, "商南花生 1kg/袋", "nuts", "611023", 25, 27, {}, "秦岭南麓沙地花生。"),
    Row(40, "老君香菇 500g/袋", "mushrooms", "511722", 49, 13, {}, "宣汉老君山段木香菇。"),
    Row(41, "留坝香菇 500g/袋", "mushrooms", "610729", 49, 29, {"organic": FAR}, "秦岭留坝花菇。"),
    Row(
        42, "茂县花椒 250g/袋", "condiments", "513223", 38, 17, {"gi": FAR}, "岷江上游大红袍花椒。"
    ),
    Row(43, "武都花椒 250g/袋", "condiments", "621202", 38, 31, {}, "陇南武都大红袍花椒。"),
    Row(
        44, "洋县黑米 1kg/袋", "grain_oil", "610723", 25, 33, {"organic": FAR}, "朱鹮之乡有机黑米。"
    ),
    Row(45, "盐池滩羊肉 2kg/箱", "meat_eggs", "640323", 198, 5, {"gi": FAR}, "宁夏盐池滩羊。"),
    Row(46, "榕江小香鸡 1只/约1.5kg", "meat_eggs", "522632", 128, 8, {}, "黔东南林下散养小香鸡。"),
    Row(47, "昭觉苦荞 1kg/袋", "grain_oil", "513431", 28, 10, {}, "大凉山昭觉高原苦荞。"),
    Row(48, "布拖彝族银饰 手镯", "crafts", "513429", 398, 35, {}, "彝族银匠手工錾刻。"),
    Row(49, "凉山崖鹰鸡 1只/约1.5kg", "meat_eggs", "513436", 128, 12, {}, "美姑县高山散养崖鹰鸡。"),
    Row(50, "城口老腊肉 1kg/袋", "meat_eggs", "500229", 98, 9, {}, "大巴山柴火熏制老腊肉。"),
    Row(
        51,
        "西吉西芹 5kg/箱",
        "vegetables",
        "640422",
        25,
        3,
        {},
        "宁夏西吉冷凉蔬菜。",
        in_stock=False,
    ),
    Row(52, "秭归绿茶 250g/罐", "tea", "420527", 108, 11, {}, "三峡库区高山云雾茶叶。"),
    Row(53, "安远赣南脐橙 礼盒装 10斤", "fruit", "360726", 88, 40, {}, "赣南脐橙礼盒，送礼佳品。"),
    Row(54, "定西黄芪 500g/袋", "other", "621102", 45, 19, {}, "陇西岷县一带道地药材。"),
    Row(55, "民和大蒜 2.5kg/袋", "vegetables", "630222", 35, 21, {}, "紫皮独头蒜。"),
    Row(
        56,
        "敖汉荞麦面 1kg/袋",
        "grain_oil",
        "150430",
        22,
        2,
        {},
        "纯荞麦手工挂面。",
        in_stock=False,
    ),
    Row(57, "西吉土豆粉条 1kg/袋", "other", "640422", 29, 4, {}, "马铃薯淀粉手工粉条。"),
    Row(58, "凤山板栗 1kg/袋", "nuts", "451223", 30, 7, {}, "桂西北油栗。"),
    Row(59, "静宁苹果干 250g/袋", "nuts", "620826", 25, 34, {}, "冻干苹果脆片。", in_stock=False),
    Row(60, "紫阳富硒茶叶 礼盒 500g", "tea", "610924", 218, 50, {"organic": FAR}, "陕南富硒绿茶。"),
]


def cooperative_of(county: County) -> tuple[int, str]:
    short = county.name.rstrip("县区旗市")[:2]
    return int(county.code[2:]), f"{short}丰收农产品专业合作社"


def document(row: Row) -> ProductDocument:
    county = COUNTIES[row.county]
    cooperative_id, cooperative_name = cooperative_of(county)
    price = row.price_yuan * 100
    return ProductDocument(
        id=row.id,
        title=row.title,
        description_text=row.description,
        category=row.category,
        category_label=CATEGORY_LABELS[row.category],
        unit=row.title.split(" ")[1] if " " in row.title else "1件",
        cooperative_id=cooperative_id,
        cooperative_name=cooperative_name,
        county_code=county.code,
        county_name=county.name,
        prefecture_name=county.prefecture,
        province_code=county.province_code,
        province_name=county.province,
        key_assistance=county.key_assistance,
        labels=list(row.labels),
        label_valid_until={label: until for label, until in row.labels.items() if until},
        min_price_fen=price,
        max_price_fen=price + 2000,
        in_stock=row.in_stock,
        published_at=NOW - timedelta(days=row.days_ago, hours=row.id),
        popularity=row.popularity,
        # Distinct averages (37 and the prime 4001 are coprime), so that every backend sorts
        # by rating alike without ties; a third of the products have no review.
        rating_milli=0 if row.id % 3 == 0 else 1000 + (row.id * 37) % 4001,
        rating_count=0 if row.id % 3 == 0 else 1 + row.id % 5,
    )


DOCUMENTS: list[ProductDocument] = [document(row) for row in ROWS]
BY_ID: dict[int, ProductDocument] = {doc.id: doc for doc in DOCUMENTS}


def place_names() -> list[str]:
    """What the app adds to the segmenter's dictionary: its counties and prefectures."""
    names = {county.name for county in COUNTIES.values()}
    names |= {county.prefecture for county in COUNTIES.values()}
    return sorted(names)


def places() -> list[Place]:
    """The catalogue's counties, their prefectures and provinces, as the query parser gets them."""
    found: dict[str, Place] = {}
    for county in COUNTIES.values():
        found[county.code] = Place(county.code, county.name, "county")
        prefecture = county.code[:4] + "00"
        found.setdefault(prefecture, Place(prefecture, county.prefecture, "prefecture"))
        found.setdefault(
            county.province_code, Place(county.province_code, county.province, "province")
        )
    return sorted(found.values(), key=lambda place: place.code)


# What the labels are called in queries (the app has its own list; these are the test's).
LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "gi": ("地理标志", "地标", "geographical indication"),
    "green_food": ("绿色食品", "green food"),
    "organic": ("有机", "有机产品", "organic"),
}
