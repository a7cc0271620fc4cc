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
from search.pinyin_table import READINGS
from search.text import default_analyzer, pypinyin_reading

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
        "from search.text import default_analyzer, word_pinyin\n"
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
