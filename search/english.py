"""English product words as data: what a buyer types in English, and the Chinese word searched.

The query parser (search.understanding) replaces these words before any backend sees the
query, so both backends search the same Chinese words. Each English word becomes one Chinese
word, chosen to find what the buyer means with the matching the backends already do: a
synonym group (potato → 土豆 finds 马铃薯 and 洋芋 too), a category's name (mushroom → 菌菇,
which every product of that category carries among its place and category words), or a
single character where the kinds share it (rice → 米: 大米, 黑米, 红米, 香米…; jujube → 枣).
Keys are lower case; words of several parts are separated by one space. Plurals are looked up
through `english_word` (apples → apple, cherries → cherry).
"""

from __future__ import annotations

ENGLISH_WORDS: dict[str, str] = {
    # Tea and drinks
    "tea": "茶",
    "green tea": "绿茶",
    "black tea": "红茶",
    "red tea": "红茶",
    "white tea": "白茶",
    "dark tea": "黑茶",
    "oolong": "乌龙茶",
    "jasmine tea": "茉莉花茶",
    "chrysanthemum": "菊花",
    "coffee": "咖啡",
    "wine": "酒",
    # Fruit
    "apple": "苹果",
    "pear": "梨",
    "orange": "橙",
    "navel orange": "脐橙",
    "pomelo": "柚",
    "lemon": "柠檬",
    "grape": "葡萄",
    "kiwi": "猕猴桃",
    "kiwifruit": "猕猴桃",
    "kiwi fruit": "猕猴桃",
    "mango": "芒果",
    "banana": "香蕉",
    "persimmon": "柿",
    "cherry": "樱桃",
    "plum": "李",
    "apricot": "杏",
    "peach": "蜜桃",
    "pomegranate": "石榴",
    "melon": "瓜",
    "passion fruit": "百香果",
    "dragon fruit": "火龙果",
    "avocado": "牛油果",
    "bayberry": "杨梅",
    "jujube": "枣",
    "date": "枣",
    "red date": "红枣",
    # Nuts, seeds and dried goods
    "goji": "枸杞",
    "goji berry": "枸杞",
    "wolfberry": "枸杞",
    "walnut": "核桃",
    "chestnut": "板栗",
    "peanut": "花生",
    "almond": "杏仁",
    "ginkgo": "银杏",
    "pine nut": "松子",
    # Grain, oil, noodles
    "rice": "米",
    "black rice": "黑米",
    "red rice": "红米",
    "millet": "小米",
    "corn": "玉米",
    "maize": "玉米",
    "buckwheat": "荞",
    "oat": "燕麦",
    "quinoa": "藜麦",
    "barley": "青稞",
    "sorghum": "高粱",
    "soybean": "大豆",
    "mung bean": "绿豆",
    "kidney bean": "芸豆",
    "broad bean": "蚕豆",
    "oil": "油",
    "olive oil": "橄榄油",
    "flour": "面粉",
    "noodle": "面",
    "vermicelli": "粉条",
    # Vegetables and condiments
    "potato": "土豆",
    "sweet potato": "红薯",
    "cabbage": "白菜",
    "celery": "芹",
    "lotus root": "莲藕",
    "radish": "萝卜",
    "carrot": "胡萝卜",
    "bamboo shoot": "笋",
    "daylily": "黄花菜",
    "scallion": "葱",
    "onion": "洋葱",
    "tomato": "西红柿",
    "cucumber": "黄瓜",
    "pumpkin": "南瓜",
    "garlic": "大蒜",
    "ginger": "生姜",
    "chili": "辣椒",
    "chilli": "辣椒",
    "chile": "辣椒",
    "pepper": "椒",
    "sichuan pepper": "花椒",
    "vinegar": "醋",
    "soy sauce": "酱油",
    # Mushrooms
    "mushroom": "菌菇",
    "fungus": "菌",
    "shiitake": "香菇",
    "morel": "羊肚菌",
    "matsutake": "松茸",
    "wood ear": "木耳",
    "black fungus": "木耳",
    "tremella": "银耳",
    "white fungus": "银耳",
    "lingzhi": "灵芝",
    "reishi": "灵芝",
    # Meat, eggs, fish, honey
    "honey": "蜂蜜",
    "beef": "牛肉",
    "yak": "牦牛",
    "mutton": "羊肉",
    "lamb": "羊肉",
    "pork": "猪",
    "ham": "火腿",
    "bacon": "腊肉",
    "chicken": "鸡",
    "duck": "鸭",
    "goose": "鹅",
    "egg": "蛋",
    "fish": "鱼",
    # Herbs
    "ginseng": "人参",
    "cordyceps": "虫草",
    "gastrodia": "天麻",
    "angelica": "当归",
    "astragalus": "黄芪",
    "notoginseng": "三七",
    # Crafts
    "embroidery": "绣",
    "batik": "蜡染",
    "carving": "雕",
    "silver": "银饰",
}

# The longest English entry, in words: how far the parser looks ahead.
MAX_ENGLISH_WORDS = max(len(key.split()) for key in ENGLISH_WORDS)


def english_word(words: str) -> str | None:
    """The Chinese word for these English words (lower case, single spaces), plural or not."""
    found = ENGLISH_WORDS.get(words)
    if found is not None:
        return found
    head, _, last = words.rpartition(" ")
    for singular in _singulars(last):
        found = ENGLISH_WORDS.get(f"{head} {singular}" if head else singular)
        if found is not None:
            return found
    return None


def _singulars(word: str) -> list[str]:
    """Possible singulars of an English plural: cherries → cherry, potatoes → potato."""
    forms: list[str] = []
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        forms.append(word[:-1])
    return forms
