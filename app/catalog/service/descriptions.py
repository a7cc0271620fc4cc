"""A product's description: what a supplier types becomes safe HTML (nh3), and the stored HTML
goes back into the editor as the supplier typed it."""

from __future__ import annotations

import html
import re

import nh3

# The description's allowed markup: enough for a product story, nothing that runs or restyles.
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "a"}
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
DESCRIPTION_URL_SCHEMES = {"http", "https", "mailto"}

# A tag of the allowed markup (any other "<…>" is text, shown as typed).
_MARKUP = re.compile(r"</?(?:p|br|strong|em|ul|ol|li|h3|h4|a)(?:\s[^<>]*)?/?>", re.IGNORECASE)
# Tags that make paragraphs themselves: text with one is HTML written as HTML.
_BLOCKS = re.compile(r"</?(?:p|ul|ol|li|h3|h4)(?:\s[^<>]*)?>", re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\s*(?:<p>(?:(?!</?p>).)*</p>\s*)+", re.DOTALL)
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _typed_paragraphs(text: str, *, marked: bool) -> str:
    """Blank lines separate paragraphs, line ends become line breaks; unmarked text is escaped
    so that a "<" typed as text stays text."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>"
        + "<br>".join(line if marked else html.escape(line) for line in p.splitlines())
        + "</p>"
        for p in paragraphs
    )


def sanitize_description(text: str) -> str:
    """Stored HTML of a description: allowed tags only; links get rel="noopener nofollow".

    Text without paragraph markup (as typed into the portal's textarea, perhaps with a
    <strong> or a link) keeps its paragraphs and line breaks; HTML with paragraphs or lists is
    taken as written.
    """
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    if _BLOCKS.search(text) is None:
        text = _typed_paragraphs(text, marked=_MARKUP.search(text) is not None)
    return nh3.clean(
        text,
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=DESCRIPTION_URL_SCHEMES,
        link_rel="noopener nofollow",
    ).strip()


def editable_description(stored: str) -> str:
    """The stored HTML as the editor shows it: paragraphs (and line breaks) that came from
    typed text go back to blank lines (and line ends), entities to characters, so the
    supplier sees what they typed, not "<p>" tags; saving it again stores the same HTML.
    HTML with lists or headings, which plain text cannot say, is shown as HTML."""
    if not stored or _PARAGRAPHS.fullmatch(stored) is None:
        return stored
    text = "\n\n".join(_LINE_BREAK.sub("\n", p) for p in _PARAGRAPH.findall(stored))
    # With inline markup left (a <strong>, a link) the text is saved as markup again, so its
    # entities must stay entities.
    return text if _MARKUP.search(text) else html.unescape(text)
