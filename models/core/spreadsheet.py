"""CSV as spreadsheets write and read it: cells shown as text, never run as a formula (CWE-1236); the list
separator of the reader's locale (Excel in a Belgian French or Dutch locale splits on ";", so a comma file
opens as one column); and imports that take what such a spreadsheet saves."""

import codecs
import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: ?separator= names and the character each stands for
SEPARATORS = {"comma": ",", "semicolon": ";"}
#: the list separator of each language's locale (fr_BE, nl_BE: ";"; en_GB: ",")
LIST_SEPARATOR = {"en": ",", "fr": ";", "nl": ";"}
#: what an import recognises as the separator, told apart by the header line
CANDIDATES = (",", ";", "\t")
#: a UTF-8 byte-order mark: without it Excel reads UTF-8 as the locale's code page
BOM = "\ufeff"


def neutralise(value: object) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo `neutralise` when reading back a file this application wrote."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS and text[1:2] else text


def separator_for(language: str) -> str:
    """The list separator a spreadsheet in `language`'s locale expects."""
    return LIST_SEPARATOR.get(language.split("-")[0].split("_")[0].lower(), ",")


def writer(out: io.StringIO, separator: str = ","):
    """A CSV writer with the line ends spreadsheets expect."""
    return csv.writer(out, delimiter=separator, lineterminator="\r\n")


class NotText(ValueError):
    """Bytes that are not a spreadsheet's text; the message says what to do."""


#: a character UTF-8 writes in two to four bytes: a file holding one is UTF-8, even with a damaged byte elsewhere
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode(raw: bytes) -> str:
    """A saved spreadsheet's text; NotText when the bytes are not text, or are damaged UTF-8.

    UTF-8 (with or without its mark); UTF-16 with its mark, as Excel's "Unicode text" saves; else
    Windows-1252, which Excel in a Western European locale writes when told "CSV" rather than "CSV UTF-8".
    A UTF-8 file with one bad byte is refused rather than read as Windows-1252, which would garble every
    accented letter ("Ã©" for "é") without a word.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise NotText("The file is not text. Save it from the spreadsheet as CSV.") from None
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if UTF8_SEQUENCE.search(raw):
                raise NotText(
                    f"The file is UTF-8 with a damaged byte at position {exc.start}. Save it again as CSV UTF-8."
                ) from None
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                raise NotText("The file is not text. Save it from the spreadsheet as CSV.") from None
    if "\x00" in text:
        raise NotText("The file is not text. Save it from the spreadsheet as CSV.")
    return text


def detect_separator(text: str, known: set[str]) -> str:
    """The separator of a file whose first line names its columns: the candidate under which most of the
    header's cells are column names we know (ties go to the candidate that splits the line the most)."""
    first = text.lstrip(BOM).splitlines()[0] if text.strip() else ""

    def score(candidate: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([first], delimiter=candidate), [])
        except csv.Error:  # a cell longer than the csv module takes: not this file's separator, or not a header
            return -1, 0
        return sum(c.strip().lower() in known for c in cells), len(cells)

    return max(CANDIDATES, key=score)
