"""PDF rendering with WeasyPrint, locked down: content never reaches the network or the file system.

Only `data:` URLs are fetched; everything else a template or a person's Markdown might point
at (file:, http:, https:, relative paths) is refused and noted. Output is PDF/A-3b, so the
report is an archival record that may carry its evidence files as embedded attachments.
"""

import logging
from dataclasses import dataclass, field

from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher

#: the archival variant: PDF/A-3 allows embedded files of any type, with their relationship
PDF_VARIANT = "pdf/a-3b"


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
    """Render `html` with `css` (both strings) to PDF/A-3b bytes with `attachments` embedded."""
    fetcher = DataOnlyFetcher()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    stylesheet = CSS(string=css, url_fetcher=fetcher)
    files = [
        Attachment(
            string=f.data, name=f.name, description=f.description, relationship=f.relationship, url_fetcher=fetcher
        )
        for f in attachments
    ]
    pdf = document.write_pdf(
        stylesheets=[stylesheet], attachments=files, pdf_variant=PDF_VARIANT, uncompressed_pdf=False
    )
    return Rendered(pdf=pdf, refused_urls=fetcher.refused)
