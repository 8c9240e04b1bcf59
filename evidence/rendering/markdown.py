"""Markdown in, sanitised HTML out: the only HTML from people that a page or PDF ever shows."""

import threading
from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


_local = threading.local()


def _converter() -> md.Markdown:
    """This thread's Markdown converter: building one costs far more than converting a short note."""
    if not hasattr(_local, "converter"):
        _local.converter = md.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return _local.converter


def render_markdown(text: str | None) -> Markup:
    """Convert Markdown to HTML and strip everything not on the allow-list (no images, no scripts)."""
    if not text:
        return Markup("")
    html = _clean_short_html(text) if len(text) <= SHORT else _clean_html(text)
    return Markup(html)  # nosec B704  nh3 has removed everything not on the allow-list


#: notes up to this length are remembered once converted: steps and findings repeat them, and they are cheap to keep
SHORT = 2000


def _clean_html(text: str) -> str:
    """The sanitised HTML for one text."""
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_clean_short_html = lru_cache(maxsize=2048)(_clean_html)
