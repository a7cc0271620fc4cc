"""Synonyms of farm products as data: each group names one thing, any word finds all of them.

Both backends read these groups. The embedded backend expands a query word into its group at
query time (a change here needs no reindex); Meilisearch receives them as its `synonyms`
setting. Groups are symmetric: keep a group to words a buyer would accept in place of each
other (茶/茶叶 yes, 茶/红茶 no: 红茶 is a kind of tea, not another name for it).
"""

from __future__ import annotations

from functools import cache

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("土豆", "马铃薯", "洋芋", "山药蛋"),
    ("猕猴桃", "奇异果"),
    ("红薯", "地瓜", "番薯", "甘薯", "红苕", "白薯", "山芋"),
    ("玉米", "苞谷", "包谷", "苞米", "玉蜀黍"),
    ("西红柿", "番茄"),
    ("花生", "落花生", "长生果"),
    ("木耳", "黑木耳"),
    ("银耳", "白木耳"),
    ("香菇", "冬菇"),
    ("核桃", "胡桃"),
    ("枸杞", "杞子", "枸杞子"),
    ("茶", "茶叶"),
    ("牦牛肉", "牦牛"),
    ("小米", "粟米"),
    ("蜂蜜", "土蜂蜜"),
    ("辣椒", "海椒", "辣子"),
    ("菠萝", "凤梨"),
    ("红枣", "大枣"),
    ("板栗", "栗子"),
    ("芋头", "芋艿"),
    ("圆白菜", "卷心菜", "包菜", "莲花白"),
    ("百香果", "鸡蛋果"),
    ("牛油果", "鳄梨"),
    ("三七", "田七"),
    ("黄花菜", "金针菜"),
    ("胡萝卜", "红萝卜"),
    ("洋葱", "葱头"),
    ("生姜", "姜"),
    ("大蒜", "蒜"),
    ("薏米", "薏仁", "薏仁米", "薏苡仁"),
    ("荞麦", "荞子"),
    ("冬虫夏草", "虫草"),
    ("土鸡", "柴鸡", "走地鸡"),
    ("土鸡蛋", "柴鸡蛋", "笨鸡蛋"),
    ("乌鸡", "乌骨鸡"),
    ("菜籽油", "菜油"),
    ("山茶油", "茶油", "茶籽油"),
    ("沙糖桔", "砂糖橘"),
    ("柑橘", "柑桔"),
)


@cache
def synonym_index() -> dict[str, tuple[str, ...]]:
    """Each word to every word of the groups it belongs to (itself first, then in order)."""
    index: dict[str, list[str]] = {}
    for group in SYNONYM_GROUPS:
        for word in group:
            words = index.setdefault(word, [word])
            words.extend(other for other in group if other not in words)
    return {word: tuple(words) for word, words in index.items()}


def synonyms_of(word: str) -> tuple[str, ...]:
    """The word and its synonyms; just the word when it has none."""
    return synonym_index().get(word, (word,))


def synonym_words() -> frozenset[str]:
    """Every word of every group (the segmenter must keep each of them whole)."""
    return frozenset(synonym_index())
