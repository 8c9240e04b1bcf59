"""What a file is, judged by its bytes, never its name; and a safe display name for it.

Only types an auditor needs are accepted: PDF, common images, office documents, ZIP archives
and plain text (logs, CSV, JSON, e-mail). HTML, SVG, XML and executables are refused, so no
stored file can run script in a browser whatever it is called.
"""

import re
import unicodedata

#: media type -> what it is called on the page
ALLOWED = {
    "application/pdf": "PDF document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/zip": "ZIP archive",
    "text/plain": "Text",
}

#: the names a file of each type may keep on download; the first is added to any other name
EXTENSIONS = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/zip": ("zip",),
    "text/plain": ("txt", "log", "csv", "tsv", "json", "md", "eml", "conf", "cfg", "ini", "yaml", "yml", "out"),
}

_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
_MARKUP = re.compile(rb"<\s*(html|script|svg|!doctype|\?xml|iframe|object|embed|body|head|meta)\b", re.IGNORECASE)
#: control bytes other than tab, line feed, form feed and carriage return never occur in text
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MAX_NAME = 255


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when it is not an accepted type."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    return "text/plain" if _is_plain_text(head) else None


def _zip_kind(head: bytes) -> str:
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head[:200]:
        return "application/vnd.oasis.opendocument.text"
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head[:200]:
        return "application/vnd.oasis.opendocument.spreadsheet"
    if b"[Content_Types].xml" in head:
        for marker, media_type in (
            (b"word/", "wordprocessingml.document"),
            (b"xl/", "spreadsheetml.sheet"),
            (b"ppt/", "presentationml.presentation"),
        ):
            if marker in head:
                return f"application/vnd.openxmlformats-officedocument.{media_type}"
    return "application/zip"


def _is_plain_text(head: bytes) -> bool:
    """UTF-8 without control characters or markup; a multi-byte character cut at the end of `head` is allowed."""
    if not head or _CONTROL.search(head) or _MARKUP.search(head):
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"


def describe(media_type: str) -> str:
    """What a media type is called on the page."""
    return ALLOWED.get(media_type, media_type)


def display_name(raw: str | None) -> str:
    """The original file name made safe to show and to offer on download.

    Path parts and control characters go, white space is folded, and an over-long name is
    shortened keeping its extension. The name never becomes a path: files are stored by hash.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "unnamed"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_NAME - len(ext) - 2].rstrip() + "…" + ("." + ext if ext else "")
    return name


def download_name(name: str, media_type: str) -> str:
    """The name a stored file is offered under: its own if its extension fits what its bytes are, else with
    the right extension added. Only the start of a file is judged, so a "report.html" whose markup starts
    after the first 64 KiB is text and leaves as "report.html.txt", never as a page that runs when opened."""
    allowed = EXTENSIONS.get(media_type, ("bin",))
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in allowed:
        return name
    return f"{name}.{allowed[0]}"
