"""axe-core in the browser tests: the npm package's own build (scripts/audit, installed by
`make browser-deps`), evaluated into the page by Playwright and run with the default and the
WCAG 2.2 rules. A page passes when axe finds no violation at all, whatever its impact."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parents[2] / "scripts/audit/node_modules/axe-core/axe.min.js"
# WCAG 2.0–2.2 A and AA, and axe's best practices: every rule axe enables by default and the
# WCAG 2.2 ones (target size), none of the experimental or AAA rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Evaluated as a function (Playwright's evaluate goes through the DevTools protocol, so the
# page's Content-Security-Policy does not stand in its way as it would for a script tag).
_RUN = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html.slice(0, 200),
      summary: node.failureSummary,
    })),
  }));
}"""


@cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"axe-core is required for the browser tests and was not found at {AXE_SCRIPT}: "
            "`make browser-deps` installs it (npm ci in scripts/audit)."
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe finds wrong on the page as it stands now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN, AXE_TAGS)
    return violations


def describe(url: str, width: int, violations: list[dict[str, Any]]) -> list[str]:
    """One line per failing element, readable in a test failure."""
    return [
        f"{url} @ {width} px: {violation['id']} ({violation['impact']}: {violation['help']}) "
        f"at {node['target']}: {node['html']}"
        for violation in violations
        for node in violation["nodes"]
    ]
