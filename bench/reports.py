"""Report rendering: Drillbook's whole pipeline against WeasyPrint rendering the same final HTML alone.

Cases: the reference drill; a large drill (300 steps, 100 findings, 200 actions, 500 evidence
items); a year's control evidence pack with 5,000 evidence items. Each measurement runs in a
fresh process, so its peak memory (ru_maxrss) is its own. Prints one table of medians and the
ratio pipeline / WeasyPrint alone (target: at most 1.15, assembling the data costs next to nothing).
Usage: .venv/bin/python bench/reports.py [--runs 3] [--cases reference,large,pack]
"""

import argparse
import io
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ["reference", "large", "pack"]


def build(instance: Path) -> dict:
    """Create the data for every case in a fresh instance; returns what each case renders."""
    os.environ["DRILLBOOK_INSTANCE_PATH"] = str(instance)
    from sqlmodel import select

    from app import create_app
    from evidence.intake import store_evidence
    from models.actions.tables import Action
    from models.controls.tables import Control
    from models.core.database import open_session
    from models.core.schema import upgrade
    from models.drills.demo import load_reference_drill
    from models.drills.tables import Drill, DrillKind, Phase, Step
    from models.evidence import Evidence
    from models.findings.tables import Finding, FindingKind
    from models.people.users import Role, add_user

    upgrade(f"sqlite:///{instance / 'drillbook.sqlite'}")
    app = create_app()
    vault = app.extensions["drillbook.vault"]
    with app.app_context(), open_session(app.extensions["drillbook.engine"], write=True) as s:
        user = add_user(s, "bench@example.test", "Bench", Role.EDITOR, None)
        reference, _ = load_reference_drill(s)
        start = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
        large = Drill(
            title="Large regional failover",
            kind=DrillKind.FULL_SCALE,
            actual_start=start,
            actual_end=start + timedelta(hours=30),
        )
        large.systems = list(reference.systems)
        large.controls = list(reference.controls)
        s.add(large)
        s.flush()
        phases = list(Phase)
        for i in range(300):
            t = start + timedelta(minutes=5 * i)
            s.add(
                Step(
                    drill_id=large.id,
                    position=i,
                    phase=phases[i % 5],
                    title=f"Step {i}: restore service component {i} and check it",
                    system_id=large.systems[i % len(large.systems)].id,
                    planned_minutes=5,
                    started_at=t,
                    ended_at=t + timedelta(minutes=4 + i % 3),
                    outcome="success",
                    notes=f"Checked by operator {i % 7}.",
                )
            )
        findings = [
            Finding(
                drill_id=large.id,
                kind=FindingKind.IMPROVEMENT,
                title=f"Finding {i}",
                description=f"What was seen **{i}**.",
                detected_at=start + timedelta(minutes=i),
            )
            for i in range(100)
        ]
        s.add_all(findings)
        s.flush()
        s.add_all(
            [
                Action(
                    drill_id=large.id,
                    finding_id=findings[i % 100].id,
                    title=f"Action {i}",
                    owner_id=user.id,
                    due_date=date(2025, 6, 1) + timedelta(days=i),
                )
                for i in range(200)
            ]
        )
        for i in range(500):
            store_evidence(
                s,
                vault,
                [f"log {i}\n".encode() * 20],
                f"evidence-{i}.log",
                {"drill_id": large.id, "collected_on": "2025-03-01"},
                user,
                10**6,
            )
        codes = [c.code for c in s.exec(select(Control).where(Control.kind == "annex_a")).all()]
        for i in range(5000):
            store_evidence(
                s,
                vault,
                [f"control evidence {i}\n".encode()],
                f"pack-{i}.txt",
                {"collected_on": (date(2025, 1, 1) + timedelta(days=i % 365)).isoformat()},
                user,
                10**6,
                codes[i % len(codes)],
            )
        s.commit()
        return {
            "reference": {"kind": "drill", "params": {"drill_id": reference.id}},
            "large": {"kind": "drill", "params": {"drill_id": large.id}},
            "pack": {"kind": "controls", "params": {"from": "2025-01-01", "to": "2025-12-31"}},
            "evidence": s.exec(select(Evidence.id)).all().__len__(),
        }


def measure(instance: Path, name: str, case: dict, mode: str) -> dict:
    """One measurement in a fresh process: the whole pipeline (saving its final HTML), or WeasyPrint alone on that HTML.

    Each side first renders something small of the same kind, untimed, so both are measured as a
    running server renders its second report: templates compiled, fonts loaded, queries prepared.
    """
    os.environ["DRILLBOOK_INSTANCE_PATH"] = str(instance)
    capture_file = instance / f"{name}.capture.pickle"
    if mode == "weasyprint":
        from evidence.reports.pdf import render_pdf

        captured = pickle.loads(capture_file.read_bytes())
        render_pdf("<h1>warm-up</h1><table><tr><td>x</td></tr></table>", captured["css"])
        started = time.perf_counter()
        pdf = render_pdf(captured["html"], captured["css"], captured["files"]).pdf
        elapsed = time.perf_counter() - started
    else:
        from app import create_app
        from evidence.reports import issuing as reporting
        from models.core.database import open_session
        from models.reports import ReportKind

        app = create_app()
        original = reporting.render_pdf

        def capture(html, css, files):
            capture_file.write_bytes(pickle.dumps({"html": html, "css": css, "files": files}))
            return original(html, css, files)

        with app.test_request_context(), open_session(app.extensions["drillbook.engine"], write=True) as session:
            kind = ReportKind(case["kind"])
            warm_up = (
                {"drill_id": 1} if kind == ReportKind.DRILL else {"from": date(1990, 1, 1), "to": date(1990, 1, 2)}
            )
            reporting.issue_report(session, kind, warm_up, "bench", None)
            session.rollback()
            reporting.render_pdf = capture
            params = {k: (date.fromisoformat(v) if k in ("from", "to") else v) for k, v in case["params"].items()}
            started = time.perf_counter()
            _, pdf = reporting.issue_report(session, kind, params, "bench", None)
            elapsed = time.perf_counter() - started
            session.rollback()
    return {
        "seconds": elapsed,
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--measure", nargs=4, metavar=("INSTANCE", "NAME", "CASE_JSON", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        instance, name, case, mode = args.measure
        print(json.dumps(measure(Path(instance), name, json.loads(case), mode)))
        return
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-reports-") as folder:
        instance = Path(folder)
        started = time.perf_counter()
        cases = build(instance)
        print(f"Built the data set ({cases['evidence']:,} evidence items) in {time.perf_counter() - started:.0f} s")
        rows = []
        for name in args.cases.split(","):
            results = {}
            for mode in ("pipeline", "weasyprint"):
                runs = [
                    json.loads(
                        subprocess.run(
                            [sys.executable, __file__, "--measure", str(instance), name, json.dumps(cases[name]), mode],
                            check=True,
                            capture_output=True,
                            text=True,
                            cwd=ROOT,
                        )
                        .stdout.strip()
                        .splitlines()[-1]
                    )
                    for _ in range(args.runs)
                ]
                results[mode] = {
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "peak_mb": max(r["peak_mb"] for r in runs),
                    "pages": runs[0]["pages"],
                }
            rows.append((name, results))
    print(f"Report rendering, median of {args.runs} runs, {os.cpu_count()} cores")
    print(
        f"{'case':<12}{'pages':>7}{'pipeline s':>12}{'WeasyPrint s':>14}{'ratio':>8}{'pipeline MB':>13}{'WeasyPrint MB':>15}"
    )
    for name, r in rows:
        p, w = r["pipeline"], r["weasyprint"]
        print(
            f"{name:<12}{p['pages']:>7}{p['seconds']:>12.2f}{w['seconds']:>14.2f}{p['seconds'] / w['seconds']:>8.2f}{p['peak_mb']:>13.0f}{w['peak_mb']:>15.0f}"
        )
    print("target: ratio <= 1.15")


if __name__ == "__main__":
    main()
