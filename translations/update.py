"""Refresh the catalogues: every string the sources mark (pybabel extract, babel.cfg) and every label of the
domain's enumerations (statuses, kinds, ratings, phases: each with its enum's name as context) go into
translations/messages.pot, then into the French and Dutch catalogues, where new entries wait to be
translated. Run from the project folder: .venv/bin/python translations/update.py"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "translations" / "messages.pot"


def choice_labels() -> list[tuple[str, str]]:
    """(enum name, English label) for every member of every Choice in the domain."""
    sys.path.insert(0, str(ROOT))
    import models  # noqa: F401  (every table, and so every enumeration)
    from models.core.types import Choice

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted({(cls.__name__, member.english) for cls in below(Choice) for member in cls})


def template():
    """The catalogue template of what the sources mark and of the enumerations' labels."""
    with tempfile.TemporaryDirectory() as folder:
        extracted = Path(folder) / "messages.pot"
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run(
            [pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "--no-wrap", "--sort-by-file", "-o", extracted, "."],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with extracted.open("rb") as f:
            catalogue = read_po(f)
    for context, label in choice_labels():
        catalogue.add(label, context=context, auto_comments=["a label of the enumeration " + context])
    return catalogue


def main() -> None:
    with TEMPLATE.open("wb") as f:
        write_po(f, template(), width=0, omit_header=False)
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [pybabel, "update", "-i", TEMPLATE, "-d", ROOT / "translations", "--no-wrap", "--no-fuzzy-matching"],
        check=True,
    )


if __name__ == "__main__":
    main()
