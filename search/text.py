"""Chinese text analysis: segmentation (rjieba), pinyin and initials, synonyms and typo variants.

Documents become token strings, one per field, so that a plain space tokenizer (SQLite FTS5's
unicode61, PostgreSQL's 'simple' configuration) sees Chinese words. Queries become a QueryPlan:
for each query word, the alternatives any of which a document must contain. Every token is
lower-case and made only of letters and digits, which is what lets the backends quote tokens
safely: no user text ever reaches a MATCH expression or a tsquery as syntax.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from search.dictionaries import (
    new_jieba,
    release_module_segmenter,
    release_pinyin,
    word_pinyin,
)
from search.documents import ProductDocument
from search.lexicon import BUILTIN_WORDS
from search.query import normalise_text
from search.synonyms import SYNONYM_GROUPS, synonym_words, synonyms_of

if TYPE_CHECKING:
    from rjieba import Jieba

# CJK unified ideographs (basic, extension A, compatibility, extensions B–F).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
# A token is a run of CJK characters or a run of other letters/digits ([^\W_] = alphanumeric).
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_CJK_ONLY = re.compile(rf"[{_CJK}]+")
_LATIN_WORD = re.compile(r"[a-z]+")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"

MAX_TOKEN_CHARS = 40
MAX_WORD_CHARS = 20
# Neighbouring words whose joined pinyin is indexed too (gannanqicheng, gnqc).
MAX_PHRASE_WORDS = 3
# Memoised cuts while indexing: texts this short repeat (titles, place names); each memo is
# dropped when full. Queries are never memoised (what buyers type does not repeat the way
# titles do, and each is cut in microseconds), so a web process holds none of this. Worst
# case per memo: an entry of a 120-character text cut into single characters holds about
# 120 strings of ~80 bytes, a tuple and the key: ~11 KB, so 10,000 entries stay under
# ~110 MB; titles of 100,000 products (~20 characters, ~8 tokens) take ~1.5 KB each, ~15 MB.
MAX_MEMO_TEXT_CHARS = 120
MAX_MEMO_ENTRIES = 10_000
# Bounds that keep one query cheap whatever is typed.
MAX_QUERY_TERMS = 8
MAX_CORRECTIONS = 6
MAX_SPLITS = 3
# One edit for Latin words of this length or more; shorter ones are matched exactly.
MIN_FUZZY_CHARS = 5
MIN_SPLIT_CHARS = 4
# Descriptions feed the body field; their tail adds little but index size.
MAX_BODY_CHARS = 2000
MAX_BODY_TOKENS = 400
# Dropped from queries (never from documents) unless nothing else is left.
QUERY_STOPWORDS = frozenset(
    {"的", "了", "和", "与", "及", "或", "是", "在", "有", "之", "等", "也", "都", "很", "吗", "呢"}
    | {"and", "or", "the", "of"}
)
# Administrative suffixes and ethnic names that the short form of a place name drops:
# 青龙满族自治县 → 青龙, 宁夏回族自治区 → 宁夏, 寻乌县 → 寻乌.
_PLACE_SUFFIX = re.compile(r"(自治县|自治旗|自治州|自治区|特区|林区|地区|县|市|区|旗|州|盟|省)$")
_PEOPLES = (  # noqa: SIM905 - the 56 peoples read better as one paragraph
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 "
    "水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 "
    "乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 汉 各"
).split()
# Longest names first, so that 土家族 is not read as 土族 after 家.
_PLACE_PEOPLES = re.compile(
    "(?:" + "|".join(sorted(_PEOPLES, key=len, reverse=True)) + ")族$|维吾尔$"
)


def clean(text: str) -> str:
    """NFKC and lower case, without control characters (no length limit: for documents)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if folded.isprintable():  # the usual case, checked in C: nothing to drop
        return folded
    return "".join(
        char for char in folded if char.isspace() or unicodedata.category(char)[0] != "C"
    )


def place_short_name(name: str) -> str | None:
    """寻乌县 → 寻乌, 青龙满族自治县 → 青龙; None when nothing of two characters is left."""
    short = _PLACE_SUFFIX.sub("", name)
    while (stripped := _PLACE_PEOPLES.sub("", short)) != short and len(stripped) >= 2:
        short = stripped
    if short == name or len(short) < 2 or not _CJK_ONLY.fullmatch(short):
        return None
    return short


def edits1(word: str) -> set[str]:
    """Every string one edit away (delete, transpose, replace, insert) from a Latin word.

    This enumerates the bounded neighbourhood of edit distance 1 (optimal string alignment),
    which is then intersected with the index's vocabulary: about 54·n+25 strings.
    """
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    transposes = {
        left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1
    }
    replaces = {left + c + right[1:] for left, right in splits if right for c in _ALPHABET}
    inserts = {left + c + right for left, right in splits for c in _ALPHABET}
    return (deletes | transposes | replaces | inserts) - {word}


def _unique(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(token for token in tokens if token))


@dataclass(frozen=True, slots=True)
class DocumentTokens:
    """A document's searchable fields as space-joined tokens, and its Latin vocabulary."""

    title: str
    pinyin: str
    place: str
    grams: str
    body: str
    vocabulary: frozenset[str]


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One query word: its alternatives (OR), each a group of tokens that must all be present.

    `latin` words may also gain typo corrections and splits from the index's vocabulary.
    """

    text: str
    alternatives: tuple[tuple[str, ...], ...]
    latin: bool


Alternatives = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The words of a query; a document matches when it matches every word."""

    terms: tuple[QueryTerm, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def probes(self) -> frozenset[str]:
        """Strings to look up in the vocabulary before `resolve` (empty: no lookup needed)."""
        found: set[str] = set()
        for term in self.terms:
            if not term.latin:
                continue
            found.add(term.text)
            if len(term.text) >= MIN_FUZZY_CHARS:
                found |= edits1(term.text)
            if len(term.text) >= MIN_SPLIT_CHARS:
                for i in range(2, len(term.text) - 1):
                    found.update((term.text[:i], term.text[i:]))
        return frozenset(found)

    def typed_words_may_be_titles(self, known: Collection[str]) -> bool:
        """False when a Latin word as typed is in no title: the vocabulary holds every Latin
        token of every title, so the "words as typed" tier would be empty (qichen)."""
        return all(not term.latin or term.text in known for term in self.terms)

    def resolve(self, known: Collection[str] = ()) -> list[Alternatives]:
        """Per word, its alternatives, with typo corrections and splits found in `known`."""
        resolved: list[Alternatives] = []
        for term in self.terms:
            alternatives = list(term.alternatives)
            if term.latin and term.text not in known:
                if len(term.text) >= MIN_FUZZY_CHARS:
                    corrections = sorted(word for word in edits1(term.text) if word in known)
                    alternatives.extend((word,) for word in corrections[:MAX_CORRECTIONS])
                splits = [
                    (term.text[:i], term.text[i:])
                    for i in range(2, len(term.text) - 1)
                    if term.text[:i] in known and term.text[i:] in known
                ]
                alternatives.extend(splits[:MAX_SPLITS])
            resolved.append(tuple(dict.fromkeys(alternatives)))
        return resolved


class Analyzer:
    """Segmentation with its own user dictionary, shared by indexing and querying.

    Add words before indexing: a word added later changes how new text is cut, and documents
    indexed before are only found through the character-gram fallback until reindexed.
    """

    def __init__(self, words: Iterable[str] = (), *, share_module_dictionary: bool = False) -> None:
        # The segmenter is made on first use (rjieba's dictionary takes about 24 MB): a process
        # that neither indexes nor searches never loads it. Words added before are replayed in
        # order, as rjieba suggests an added word's frequency from the words it already has.
        self._segmenter: Jieba | None = None
        self._share_module_dictionary = share_module_dictionary
        self._added: dict[str, None] = {}
        self._memo: dict[tuple[str, bool], tuple[str, ...]] = {}
        self._place_memo: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._pinyin_memo: dict[tuple[str, bool], tuple[str, ...]] = {}
        self.add_words(BUILTIN_WORDS)
        self.add_words(synonym_words())
        self.add_words(words)
        self._pinyin_synonyms = self._synonyms_by_pinyin()

    def add_words(self, words: Iterable[str]) -> int:
        """Keep these Chinese words whole from now on (中宁, 脐橙); returns how many were new."""
        added = 0
        for raw in words:
            word = clean(raw).strip()
            if (
                2 <= len(word) <= MAX_WORD_CHARS
                and _CJK_ONLY.fullmatch(word)
                and word not in self._added
            ):
                if self._segmenter is not None:
                    self._segmenter.add_word(word, None, None)
                self._added[word] = None
                added += 1
        if added and self._segmenter is not None:  # memoised cuts may now be wrong
            self._memo.clear()
            self._place_memo.clear()
            self._pinyin_memo.clear()
        return added

    def add_place_names(self, names: Iterable[str]) -> int:
        """Add place names and their short forms: 寻乌县 adds 寻乌县 and 寻乌."""
        words: list[str] = []
        for name in names:
            words.append(name)
            short = place_short_name(clean(name).strip())
            if short:
                words.append(short)
        return self.add_words(words)

    @property
    def _jieba(self) -> Jieba:
        if self._segmenter is None:
            self._segmenter = new_jieba(share_module_dictionary=self._share_module_dictionary)
            for word in self._added:
                self._segmenter.add_word(word, None, None)
        return self._segmenter

    @property
    def segmenter_loaded(self) -> bool:
        """Whether the segmenter's dictionary is in memory (it loads on first use)."""
        return self._segmenter is not None

    def release(self) -> None:
        """Drop the segmenter and the memoised cuts; the added words are kept and replayed
        into a new segmenter on next use. (The dictionary is freed once nothing else holds
        it: see release_text_dictionaries for the module's shared one.)"""
        self._segmenter = None
        self._memo.clear()
        self._place_memo.clear()
        self._pinyin_memo.clear()

    def segment(self, text: str, *, for_search: bool = False) -> list[str]:
        """Lower-case tokens: Chinese words and runs of other letters/digits, in order.

        `for_search` also yields the known sub-words of long words (黑木耳 → 黑木, 木耳, 黑木耳),
        which is how documents are indexed so that a shorter query word still finds them.
        """
        return list(self._cut(clean(text), for_search, memo=False))

    def _cut(self, cleaned: str, for_search: bool, *, memo: bool = True) -> tuple[str, ...]:
        """Tokens of cleaned text; short texts (titles, names: they repeat) are memoised."""
        if _TOKEN.search(cleaned) is None:
            # Nothing a token is made of (an empty query, the listing without one): no need
            # to load the segmenter's dictionary for it.
            return ()
        key = (cleaned, for_search)
        tokens = self._memo.get(key) if memo else None
        if tokens is not None:
            return tokens
        pieces = (
            self._jieba.cut_for_search(cleaned, True)
            if for_search
            else self._jieba.cut(cleaned, True)
        )
        tokens = tuple(
            token[:MAX_TOKEN_CHARS] for piece in pieces for token in _TOKEN.findall(piece)
        )
        if memo and len(cleaned) <= MAX_MEMO_TEXT_CHARS:
            if len(self._memo) >= MAX_MEMO_ENTRIES:
                self._memo.clear()
            self._memo[key] = tokens
        return tokens

    # -- documents --------------------------------------------------------------------------

    def analyse(self, doc: ProductDocument) -> DocumentTokens:
        title = clean(doc.title)
        title_tokens = self._cut(title, True)
        pinyin_tokens = self._pinyin_tokens(title, initials=True)
        place_tokens = self._place_tokens(
            doc.county_name,
            doc.prefecture_name,
            doc.province_name,
            doc.category_label,
            doc.cooperative_name,
        )
        body = clean(doc.description_text[:MAX_BODY_CHARS])
        body_tokens = self._cut(body, False)[:MAX_BODY_TOKENS]
        vocabulary = frozenset(
            token
            for token in (*title_tokens, *pinyin_tokens, *place_tokens)
            if len(token) >= 2 and _LATIN_WORD.fullmatch(token)
        )
        return DocumentTokens(
            title=" ".join(title_tokens),
            pinyin=" ".join(pinyin_tokens),
            place=" ".join(place_tokens),
            grams=" ".join(self._grams(title)),
            body=" ".join(body_tokens),
            vocabulary=vocabulary,
        )

    def _place_tokens(
        self, county: str, prefecture: str, province: str, category: str, cooperative: str
    ) -> tuple[str, ...]:
        """Words of the place names (and their short forms), category and cooperative, with
        the pinyin of the places; memoised, as every product of a cooperative shares them."""
        key = (county, prefecture, province, category, cooperative)
        cached = self._place_memo.get(key)
        if cached is not None:
            return cached
        places = [clean(name) for name in (county, prefecture, province)]
        short_places = [short for name in places if (short := place_short_name(name))]
        words = self._cut(" ".join([*places, *short_places, clean(category)]), True)
        words += self._cut(clean(cooperative), True)
        pinyin = self._pinyin_tokens(" ".join([*places, *short_places]), initials=False)
        tokens = tuple(_unique([*words, *pinyin]))
        if len(self._place_memo) >= MAX_MEMO_ENTRIES:
            self._place_memo.clear()
        self._place_memo[key] = tokens
        return tokens

    def _pinyin_tokens(self, cleaned: str, *, initials: bool) -> list[str]:
        """Pinyin of each Chinese word, of each two or three neighbouring words and of each run
        as a whole (安远赣南脐橙 → anyuan gannan qicheng gannanqicheng anyuangannanqicheng …),
        with their initials (ay gn qc gnqc aygnqc) when asked."""
        tokens: list[str] = []
        for run in _CJK_RUN.findall(cleaned):
            tokens.extend(self._run_pinyin(run, initials))
        return _unique(tokens)

    def _run_pinyin(self, run: str, initials: bool) -> tuple[str, ...]:
        key = (run, initials)
        cached = self._pinyin_memo.get(key)
        if cached is not None:
            return cached
        words = self._cut(run, False)
        phrases = list(self._cut(run, True))
        for size in range(2, MAX_PHRASE_WORDS + 1):
            phrases += ["".join(words[i : i + size]) for i in range(len(words) - size + 1)]
        phrases.append(run)
        tokens: list[str] = []
        for phrase in _unique(phrases):
            full, first_letters = word_pinyin(phrase)
            tokens.append(full[:MAX_TOKEN_CHARS])
            if initials and len(phrase) >= 2:
                tokens.append(first_letters[:MAX_TOKEN_CHARS])
        result = tuple(_unique(tokens))
        if len(self._pinyin_memo) >= MAX_MEMO_ENTRIES:
            self._pinyin_memo.clear()
        self._pinyin_memo[key] = result
        return result

    @staticmethod
    def _grams(cleaned: str) -> list[str]:
        """Single characters and character pairs of the Chinese runs: the fallback that finds
        a word however the segmenter cut it (寻乌 in 寻乌县, 橙 in 脐橙)."""
        grams: list[str] = []
        for run in _CJK_RUN.findall(cleaned):
            grams.extend(run)
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        return _unique(grams)

    # -- queries ----------------------------------------------------------------------------

    def parse_query(self, text: str) -> QueryPlan:
        """The plan of a query text (normalised again here, so any string is safe)."""
        words = _unique(self.segment(normalise_text(text)))
        meaningful = [word for word in words if word not in QUERY_STOPWORDS]
        terms = [self._term(word) for word in (meaningful or words)[:MAX_QUERY_TERMS]]
        return QueryPlan(tuple(terms))

    def _term(self, word: str) -> QueryTerm:
        if _CJK_ONLY.fullmatch(word):
            alternatives: list[tuple[str, ...]] = [(synonym,) for synonym in synonyms_of(word)]
            if len(word) >= 3:
                # The characters pairs of the word: found even where the index cut it otherwise.
                alternatives.append(tuple(_unique(word[i : i + 2] for i in range(len(word) - 1))))
            return QueryTerm(word, tuple(alternatives), latin=False)
        alternatives = [(word,)]
        alternatives.extend((synonym,) for synonym in self._pinyin_synonyms.get(word, ()))
        return QueryTerm(word, tuple(alternatives), latin=_LATIN_WORD.fullmatch(word) is not None)

    @staticmethod
    def _synonyms_by_pinyin() -> dict[str, tuple[str, ...]]:
        """tudou → 土豆 马铃薯 洋芋 …: a synonym group found by the pinyin of any of its words."""
        index: dict[str, list[str]] = {}
        for group in SYNONYM_GROUPS:
            for word in group:
                full, _ = word_pinyin(word)
                if len(full) >= 4:
                    words = index.setdefault(full, [])
                    words.extend(other for other in group if other not in words)
        return {full: tuple(words) for full, words in index.items()}


_default: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """The process-wide analyzer the backends use unless given their own."""
    global _default
    if _default is None:
        _default = Analyzer(share_module_dictionary=True)
    return _default


def text_dictionaries_loaded() -> bool:
    """Whether this process holds the segmenter's or pypinyin's dictionaries."""
    return (_default is not None and _default.segmenter_loaded) or "pypinyin" in sys.modules


def release_text_dictionaries() -> bool:
    """Free the dictionaries indexing loaded (the segmenter's, ~30 MB, and pypinyin's,
    ~55 MB) in a process that indexes now and then (a worker): the next analysis loads them
    again, which takes about a second. Not for a process that searches (a web process): its
    next query would wait for that second. Returns whether anything was loaded.

    The default analyzer drops its segmenter; rjieba's module gives up its default instance
    (which the default analyzer shares: nothing else in the process uses rjieba's module
    functions); the pinyin readings memoised by word_pinyin are cleared and pypinyin's
    modules unloaded (imported again on next use; at most MAX_PINYIN_RELEASES times in a
    process, search.dictionaries, as each reload leaves about 1 MB behind). The memory goes
    back to the allocator once nothing refers to it; returning it to the system is the
    caller's (a collection and malloc_trim, app.core.memory)."""
    if not text_dictionaries_loaded():
        return False
    if _default is not None:
        _default.release()
    release_module_segmenter()
    release_pinyin()
    return True


def add_words(words: Iterable[str]) -> int:
    """Extend the default analyzer's dictionary (see Analyzer.add_words)."""
    return default_analyzer().add_words(words)


def add_place_names(names: Iterable[str]) -> int:
    """Add place names and their short forms to the default analyzer's dictionary."""
    return default_analyzer().add_place_names(names)
