"""What text analysis loads, and when: pypinyin's phrase dictionary (about 55 MB) only in a
process that indexes, rjieba's dictionary (about 24 MB) only once text is segmented, and once.

Each check runs in a fresh interpreter, since this one has long imported both.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from search import Analyzer
from search.dictionaries import pypinyin_reading
from search.pinyin_table import READINGS
from search.text import default_analyzer

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> list[str]:
    """The lines `code` prints, run by a new interpreter in the project's root."""
    prelude = (
        "import sys\n"
        "from app.config import Settings\n"
        f"settings = Settings(environment='test', database_url='sqlite+aiosqlite:///{tmp_path}/x.db',"
        f" secret_key='x' * 40, var_dir='{tmp_path}', worker_in_process=False, redis_url=None)\n"
        "loaded = lambda: ('pypinyin' in sys.modules, 'rjieba' in sys.modules)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.split()


def test_an_app_that_searches_never_loads_pypinyin_and_one_that_only_starts_loads_neither(
    tmp_path: Path,
) -> None:
    lines = _run(
        "from app.main import create_app\n"
        "create_app(settings)\n"
        "print(*loaded())\n"
        "from search import QueryParser, Place, default_analyzer\n"
        "ningxia = Place('640000', '宁夏回族自治区', 'province')\n"
        "parser = QueryParser([ningxia], {'organic': ['有机']})\n"
        "parsed = parser.parse('ningxia 有机 tudou')\n"
        "plan = default_analyzer().parse_query(parsed.text)\n"
        "print(parsed.province, parsed.label, *loaded())\n"
        "print(*(alternative for term in plan.terms for group in term.alternatives"
        " for alternative in group))\n",
        tmp_path,
    )
    assert lines[:2] == ["False", "False"]  # started: neither dictionary
    assert lines[2:6] == ["640000", "organic", "False", "True"]  # searched: segmentation only
    assert "土豆" in lines[6:] and "马铃薯" in lines[6:]  # tudou found its synonyms


def test_segmenting_needs_no_pypinyin_and_the_pinyin_of_other_words_loads_it(
    tmp_path: Path,
) -> None:
    lines = _run(
        "from search.dictionaries import word_pinyin\nfrom search.text import default_analyzer\n"
        "print(*default_analyzer().segment('重庆火锅底料'), *loaded())\n"
        "print(*word_pinyin('赣南脐橙'), *loaded())\n",
        tmp_path,
    )
    assert lines[-6:] == ["False", "True", "gannanqicheng", "gnqc", "True", "True"]


def _table_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pinyin_table", ROOT / "scripts" / "pinyin_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_is_what_pypinyin_reads_for_every_word_a_query_needs() -> None:
    script = _table_script()
    assert set(READINGS) == set(script.table_words())
    for word, reading in READINGS.items():
        assert reading == pypinyin_reading(word), word
    assert script.render() == (ROOT / "search" / "pinyin_table.py").read_text(encoding="utf-8")
    assert READINGS["重庆"] == ("chongqing", "cq")  # a phrase reading, not zhong


def test_the_default_analyzer_takes_over_rjiebas_module_dictionary_and_others_do_not() -> None:
    import rjieba

    default = default_analyzer()
    default.segment("赣南脐橙")
    assert default._jieba is getattr(rjieba.cut, "__self__", None)
    other = Analyzer(["丰收果园"])
    assert other.segment("丰收果园") == ["丰收果园"]
    assert other._jieba is not getattr(rjieba.cut, "__self__", None)
    assert not rjieba.has_word("丰收果园")  # another analyzer's word stays its own


def test_queries_are_cut_without_filling_the_indexing_memo() -> None:
    analyzer = Analyzer()
    analyzer.parse_query("宁夏中宁枸杞 礼盒装")
    analyzer.segment("赣南脐橙")
    assert analyzer._memo == {}


def test_a_query_with_nothing_to_cut_loads_no_dictionary(tmp_path: Path) -> None:
    """The listing without a query parses "" through the query understanding: that must not
    load the segmenter (about 35 MB) in a web process that never searches."""
    lines = _run(
        "from search import QueryParser, Place, default_analyzer\n"
        "parser = QueryParser([Place('640000', '宁夏回族自治区', 'province')])\n"
        "parsed = parser.parse('')\n"
        "plan = default_analyzer().parse_query('  ·, ')\n"
        "print(repr(parsed.text), len(plan.terms), *default_analyzer().segment('!?'), *loaded())\n"
        "print(*default_analyzer().segment('宁夏枸杞'), *loaded())\n",
        tmp_path,
    )
    assert lines[:4] == ["''", "0", "False", "False"]
    assert lines[-2:] == ["False", "True"]  # text to cut loads the segmenter, as before


def test_releasing_the_dictionaries_frees_them_and_the_next_analysis_loads_them_again(
    tmp_path: Path,
) -> None:
    lines = _run(
        "import datetime\nfrom search import ProductDocument\n"
        "from search.text import default_analyzer, release_text_dictionaries,"
        " text_dictionaries_loaded, add_words\n"
        "from app.core.memory import resident_bytes, return_freed_memory\n"
        "print(release_text_dictionaries())\n"  # nothing loaded yet
        "add_words(['丰收果园'])\n"
        "doc = ProductDocument(id=1, title='丰收果园赣南脐橙 5kg', description_text='寻乌县脐橙',"
        " category='fruit', category_label='水果', unit='箱', cooperative_id=1,"
        " cooperative_name='寻乌丰收合作社', county_code='360734', county_name='寻乌县',"
        " prefecture_name='赣州市', province_code='360000', province_name='江西省',"
        " key_assistance=False, labels=[], label_valid_until={}, min_price_fen=100,"
        " max_price_fen=100, in_stock=True,"
        " published_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))\n"
        "first = default_analyzer().analyse(doc)\n"
        "return_freed_memory()\n"
        "loaded_at = resident_bytes()\n"
        "print(text_dictionaries_loaded(), *loaded())\n"
        "print(release_text_dictionaries(), text_dictionaries_loaded(),"
        " default_analyzer().segmenter_loaded, 'pypinyin' in sys.modules)\n"
        "return_freed_memory()\n"
        "print((loaded_at - resident_bytes()) // 2**20)\n"
        "again = default_analyzer().analyse(doc)\n"
        "print(again == first, *default_analyzer().segment('丰收果园'),"
        " text_dictionaries_loaded())\n",
        tmp_path,
    )
    assert lines[0] == "False"
    assert lines[1:4] == ["True", "True", "True"]  # indexing loaded both
    assert lines[4:8] == ["True", "False", "False", "False"]  # released
    assert int(lines[8]) >= 40  # MB given back (about 75 measured)
    # Loaded again on next use, with the words added before: the same tokens as before.
    assert lines[9:] == ["True", "丰收果园", "True"]


def test_pypinyin_is_unloaded_a_bounded_number_of_times_then_kept(tmp_path: Path) -> None:
    lines = _run(
        "from search.dictionaries import MAX_PINYIN_RELEASES, release_pinyin, word_pinyin\n"
        "answers = []\n"
        "for _ in range(MAX_PINYIN_RELEASES + 2):\n"
        "    reading = word_pinyin('赣南脐橙')\n"
        "    answers.append((reading, release_pinyin(), 'pypinyin' in sys.modules))\n"
        "print(MAX_PINYIN_RELEASES, *(f'{r[0]}:{u}:{k}' for r, u, k in answers))\n",
        tmp_path,
    )
    limit = int(lines[0])
    assert lines[1 : 1 + limit] == ["gannanqicheng:True:False"] * limit
    assert lines[1 + limit :] == ["gannanqicheng:False:True"] * 2  # kept from then on
