"""A search backend's analyzer that counts the documents it analyses (for tests that a write
reuses the tokens the index holds)."""

from __future__ import annotations

from typing import Any

from search.documents import ProductDocument
from search.text import Analyzer


class CountingAnalyzer:
    """`analyzer` as it is, with the ids of the documents it was asked to analyse."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.analysed: list[int] = []

    def analyse(self, doc: ProductDocument) -> Any:
        self.analysed.append(doc.id)
        return self.analyzer.analyse(doc)

    def __getattr__(self, name: str) -> Any:  # the rest as the analyzer does it
        return getattr(self.analyzer, name)
