"""HTML fragments (feed content and summaries) to clean text with paragraphs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never text a reader sees.
_SKIPPED = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "math", "select"}
# Elements that start a new paragraph.
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "figure",
    "figcaption",
    "dd",
    "dt",
    "dl",
    "hr",
    "address",
}


_CUT_TAG = re.compile(r"<[A-Za-z!/][^<>]*$")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Visible text of `fragment`: no markup, no scripts, entities decoded, one blank line between paragraphs."""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    # A fragment cut inside a tag ("… <a hre") would leave the tag's start as data. Removed from
    # the markup, not from the decoded text, where an escaped "&lt;b" is a reader's "<b", not a tag.
    collector = _TextCollector()
    collector.feed(_CUT_TAG.sub("", fragment))
    collector.close()
    return _tidy("".join(collector.parts))


def _tidy(text: str) -> str:
    paragraphs = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text.replace("\r", "")))
    return "\n\n".join(p for p in paragraphs if p)
