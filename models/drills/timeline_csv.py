"""A drill's timeline as CSV, the way teams keep timelines in spreadsheets: export, and all-or-nothing import."""

import csv
import io
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.core import spreadsheet
from models.core.changes import validate
from models.core.errors import RecordError
from models.core.spreadsheet import BOM, detect_separator, neutralise, restore
from models.core.times import LocalTimeError, format_local, parse_local
from models.drills.inputs import StepIn
from models.drills.planning import save_part
from models.drills.tables import Drill, Phase, Step, StepOutcome
from models.people.users import User
from models.systems import System

COLUMNS = ["position", "phase", "title", "system", "planned_minutes", "started_at", "ended_at", "outcome", "notes"]
#: the column names as French and Dutch teams write them in their own spreadsheets, beside the English ones
HEADER_NAMES = {
    "position": ("positie",),
    "phase": ("fase",),
    "title": ("titre", "étape", "titel", "stap"),
    "system": ("système", "systeem"),
    "planned_minutes": ("minutes prévues", "durée prévue", "geplande minuten", "geplande duur"),
    "started_at": ("début", "heure de début", "start", "begin", "starttijd"),
    "ended_at": ("fin", "heure de fin", "einde", "eindtijd"),
    "outcome": ("résultat", "resultaat"),
    "notes": ("remarques", "notities", "opmerkingen"),
}
#: phases and outcomes as the French and Dutch teams name them (glossary: basculement, omschakeling...)
VALUE_NAMES = {
    "phase": {
        Phase.PREPARATION: ("préparation", "voorbereiding"),
        Phase.FAILOVER: ("basculement", "omschakeling"),
        Phase.RECONFIGURATION: ("herconfiguratie",),
        Phase.VALIDATION: ("validatie",),
        Phase.FAILBACK: ("rebasculement", "terugschakeling"),
    },
    "outcome": {
        StepOutcome.PENDING: ("en attente", "in afwachting"),
        StepOutcome.SUCCESS: ("réussi", "geslaagd"),
        StepOutcome.ISSUES: ("réussi avec problèmes", "geslaagd met problemen"),
        StepOutcome.FAILED: ("échoué", "mislukt"),
    },
}


def _names(column: str) -> set[str]:
    return {column, column.replace("_", " "), *HEADER_NAMES[column]}


#: every header name an import understands, lower case, to the column it stands for
HEADERS = {name.lower(): column for column in COLUMNS for name in _names(column)}
#: every phase or outcome name an import understands, lower case, to its code
VALUES = {
    field: {name.lower(): code.value for code, names in by_code.items() for name in (code.value, code.english, *names)}
    for field, by_code in VALUE_NAMES.items()
}
#: more rows than any real timeline has; protects the server from a runaway file
MAX_ROWS = 5000


class CsvErrors(ValueError):
    """Every problem found in an import, as (row, column, message); row 1 is the header."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        super().__init__(f"{len(problems)} problem(s) in the CSV file")
        self.problems = problems


def export_timeline(drill: Drill, zone: ZoneInfo, separator: str = ",") -> str:
    """The drill's steps as CSV with `separator`, times local to `zone` with their UTC offset."""
    out = io.StringIO()
    out.write(BOM)
    writer = spreadsheet.writer(out, separator)
    writer.writerow(COLUMNS)
    for step in sorted(drill.steps, key=lambda s: (s.position, s.id)):
        writer.writerow(
            [
                step.position,
                step.phase.value,
                neutralise(step.title),
                neutralise(step.system.name if step.system else ""),
                "" if step.planned_minutes is None else step.planned_minutes,
                format_local(step.started_at, zone),
                format_local(step.ended_at, zone),
                step.outcome.value,
                neutralise(step.notes),
            ]
        )
    return out.getvalue()


def parse_timeline(session: Session, text: str, zone: ZoneInfo) -> list[dict]:
    """Check every row; return the steps' data, or raise CsvErrors listing every problem found.

    The separator (comma, semicolon or tab) is told from the header line, whose names may be English,
    French or Dutch, as may the phases and outcomes.
    """
    text = text.lstrip(BOM)
    if not text.strip():
        raise CsvErrors([(1, "", "the file is empty")])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=detect_separator(text, set(HEADERS)))
    try:
        return _parse(session, reader, zone)
    except csv.Error as exc:
        raise CsvErrors([(reader.line_num or 1, "", f"the file cannot be read as CSV ({exc})")]) from None


def _parse(session: Session, reader: csv.DictReader, zone: ZoneInfo) -> list[dict]:
    given = reader.fieldnames or []
    reader.fieldnames = [HEADERS.get(name.strip().lower(), name) for name in given]
    header = reader.fieldnames
    twice = {c: [g for g, h in zip(given, header, strict=True) if h == c] for c in COLUMNS if header.count(c) > 1}
    if twice:  # "title" and "titre", or "start" and "begin": which one is meant cannot be guessed
        raise CsvErrors([(1, c, f"given twice ({', '.join(names)}); keep one") for c, names in twice.items()])
    missing = [c for c in ("phase", "title") if c not in header]
    if missing:
        raise CsvErrors([(1, c, "column is missing") for c in missing])
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:  # named in full up to ten; a header of thousands makes a short page, not a huge one
        shown = [(1, c[:60], f"unknown column (expected some of: {', '.join(COLUMNS)})") for c in unknown[:10]]
        more = [(1, "", f"and {len(unknown) - 10} more unknown columns")] if len(unknown) > 10 else []
        raise CsvErrors(shown + more)
    systems = {s.name: s.id for s in session.exec(select(System)).all()}
    problems: list[tuple[int, str, str]] = []
    rows: list[dict] = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise CsvErrors([(number, "", f"more than {MAX_ROWS} rows")])
        if None in row:
            problems.append((number, "", "more cells than columns"))
            continue
        data, row_problems = _row(row, systems, zone, number)
        problems.extend(row_problems)
        try:  # also when a cell could not be read: every error of the row at once
            validate(StepIn, data)
        except RecordError as exc:
            named = {column for _, column, _ in row_problems}
            problems.extend(
                (number, field or "", message) for field, message in exc.errors.items() if field not in named
            )
        rows.append(data)
    if problems:
        raise CsvErrors(problems)
    if not rows:
        raise CsvErrors([(2, "", "the file has no rows")])
    return rows


def _row(row: dict, systems: dict[str, int], zone: ZoneInfo, number: int) -> tuple[dict, list]:
    problems = []
    cell = {k: restore((v or "").strip()) for k, v in row.items()}
    for field, names in VALUES.items():  # "Basculement", "Failover" and "failover" are one phase
        if cell.get(field):
            cell[field] = names.get(cell[field].lower(), cell[field])
    data = {"phase": cell.get("phase", ""), "title": cell.get("title", ""), "notes": cell.get("notes", "")}
    if cell.get("outcome"):
        data["outcome"] = cell["outcome"]
    for name in ("position", "planned_minutes"):
        if cell.get(name):
            data[name] = cell[name]
    if cell.get("system"):
        if cell["system"] not in systems:
            problems.append((number, "system", f"no system named “{cell['system']}”"))
        data["system_id"] = systems.get(cell["system"])
    for name in ("started_at", "ended_at"):
        if cell.get(name):
            try:
                data[name] = parse_local(cell[name], zone)
            except LocalTimeError as exc:
                problems.append((number, name, str(exc)))
    return data, problems


def import_timeline(session: Session, drill: Drill, text: str, zone: ZoneInfo, actor: User) -> list[Step]:
    """Add every row of `text` as a step of `drill`, or none of them if any row is bad."""
    rows = parse_timeline(session, text, zone)
    return [save_part(session, drill, Step, data, actor) for data in rows]
