"""PDF rendering with WeasyPrint, locked down: content never reaches the network or the file system.

Only `data:` URLs are fetched; everything else a template or a person's Markdown might point
at (file:, http:, https:, relative paths) is refused and noted. Output is PDF/A-3b, so the
report is an archival record that may carry its evidence files as embedded attachments.
"""

import base64
import gc
import logging
from dataclasses import dataclass, field

from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher

#: the archival variant: PDF/A-3 allows embedded files of any type, with their relationship
PDF_VARIANT = "pdf/a-3b"

#: a report shorter than this, not counting the contents page, is printed without one
TOC_MIN_PAGES = 6

#: "DRAFT" across every page of an unsigned report, drawn as strokes: text would be extracted
#: with the page's text (pdftotext would print lone letters in every draft page)
_LETTERS = (
    (0, "M0 0 V100 H40 C85 100 85 0 40 0 Z"),
    (100, "M0 100 V0 H45 C80 0 80 54 45 54 H0 M40 54 L75 100"),
    (200, "M0 100 L38 0 L76 100 M14 64 H62"),
    (300, "M65 0 H0 V100 M0 50 H50"),
    (390, "M0 0 H76 M38 0 V100"),
)
_DRAFT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
    '<g transform="translate(300 300) rotate(-30) translate(-233 -50)" fill="none" stroke="#e4e4e4" '
    'stroke-width="14" stroke-linecap="round" stroke-linejoin="round">'
    + "".join(f'<path transform="translate({x} 0)" d="{d}"/>' for x, d in _LETTERS)
    + "</g></svg>"
)
#: the stylesheet addition that puts it behind every page of a draft
DRAFT_PAGES = (
    '@page { background: url("data:image/svg+xml;base64,'
    + base64.b64encode(_DRAFT_SVG.encode()).decode()
    + '") no-repeat center; }'
)


class DataOnlyFetcher(URLFetcher):
    """Fetches `data:` URLs and refuses every other URL, remembering what it refused."""

    def __init__(self):
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url[:200]!r}: reports only use data: URLs")
        return super().fetch(url, headers)


@dataclass
class EmbeddedFile:
    """A file to attach to the PDF: its bytes, name, description and relationship to the report."""

    name: str
    data: bytes
    description: str = ""
    relationship: str = "Data"


@dataclass
class Rendered:
    pdf: bytes
    refused_urls: list[str] = field(default_factory=list)


def render_pdf(html: str, css: str, attachments: list[EmbeddedFile] = ()) -> Rendered:
    """Render `html` with `css` (both strings) to tagged PDF/A-3b bytes with `attachments` embedded.

    Laid out once; a document under TOC_MIN_PAGES pages is laid out again without its contents
    page, which only costs the short documents.
    """
    gc.freeze()  # what lives already (the app, the session, the records) is not ours to scan while laying out
    try:
        return _render(html, css, attachments)
    finally:
        gc.unfreeze()


def _render(html: str, css: str, attachments: list[EmbeddedFile]) -> Rendered:
    fetcher = DataOnlyFetcher()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    stylesheets = [CSS(string=css, url_fetcher=fetcher)]
    options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(stylesheets=stylesheets, **options)
    if len(document.pages) - 1 < TOC_MIN_PAGES and 'class="toc"' in html:  # the contents page itself not counted
        stylesheets.append(CSS(string=".toc { display: none; }"))
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(stylesheets=stylesheets, **options)
    files = [
        Attachment(
            string=f.data, name=f.name, description=f.description, relationship=f.relationship, url_fetcher=fetcher
        )
        for f in attachments
    ]
    pdf = document.write_pdf(attachments=files, finisher=_each_file_once, uncompressed_pdf=False, **options)
    return Rendered(pdf=pdf, refused_urls=fetcher.refused)


def _each_file_once(document, pdf) -> None:
    """WeasyPrint lists each embedded file twice in the catalogue's /AF (from the name tree and as a
    file specification); a reader of the archive should find each once."""
    listed = pdf.catalog.get("AF")
    if listed:
        unique = list(dict.fromkeys(listed))
        listed.clear()
        listed.extend(unique)
