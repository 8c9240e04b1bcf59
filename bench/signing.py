"""What trust costs: issuing a report signed against unsigned, and verifying an anchored audit trail.

1. The reference drill's after-action report, rendered to PDF/A-3b, then PAdES-signed with the
   organisation's certificate; median seconds of each and the ratio (target: at most 1.10).
2. `drillbook verify`'s trail check on a trail of --entries entries with a witness log holding one
   signed head per --every entries: the chain walk plus every witnessed head checked (signature and
   entry hash); entries per second (target: at least 100,000).
Usage: .venv/bin/python bench/signing.py [--runs 5] [--entries 200000] [--every 1]
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import render_template  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from evidence.reports.issuing import CSS_PATH, assemble  # noqa: E402
from evidence.reports.pdf import render_pdf  # noqa: E402
from evidence.reports.signing import report_certificate, sign_pdf  # noqa: E402
from evidence.witness import Witness, check_trail  # noqa: E402
from models.audit import GENESIS, AuditEvent  # noqa: E402
from models.core.database import open_session  # noqa: E402
from models.core.schema import upgrade  # noqa: E402
from models.drills.demo import load_reference_drill  # noqa: E402
from models.reports import ReportKind  # noqa: E402


def _app(folder: Path):
    url = f"sqlite:///{folder / 'drillbook.sqlite'}"
    upgrade(url)
    return create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": url})


def report_costs(runs: int) -> tuple[float, float]:
    """Median seconds to render the reference report, and to sign the rendered PDF."""
    app = _app(Path(tempfile.mkdtemp(prefix="bench-sign-")))
    with app.app_context(), open_session(app.extensions["drillbook.engine"], write=True) as session:
        drill, _ = load_reference_drill(session)
        session.commit()
        data = assemble(session, ReportKind.DRILL, {"drill_id": drill.id}, "bench")
        data["generated"].update(checkpoint="-", instance_key="-", certificate="-")
        html = render_template(
            f"reports/pdf/{ReportKind.DRILL.value}.html", r=data, classification="Bench", embedded_ids=set()
        )
        certificate = report_certificate()
        render, sign = [], []
        for _ in range(runs):
            started = time.perf_counter()
            pdf = render_pdf(html, CSS_PATH.read_text()).pdf
            rendered = time.perf_counter()
            sign_pdf(pdf, certificate, "bench")
            render.append(rendered - started)
            sign.append(time.perf_counter() - rendered)
    return statistics.median(render), statistics.median(sign)


def verify_rate(entries: int, every: int, runs: int) -> tuple[float, int]:
    """Entries per second for the chain walk plus every witnessed head; and how many heads were checked."""
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    app = _app(folder)
    engine = app.extensions["drillbook.engine"]
    witness = Witness(folder / "bench-witness.log", app.extensions["drillbook.key"])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows, prev = [], GENESIS
    for seq in range(1, entries + 1):
        event = AuditEvent(
            seq=seq,
            occurred_at=start + timedelta(seconds=seq),
            actor="bench@example.test",
            action="update",
            entity_type="drill",
            entity_id=str(seq % 200),
            before="null",
            after=f'{{"n":{seq}}}',
            prev_hash=prev,
            hash="",
        )
        event.hash = prev = event.compute_hash()
        rows.append(event.model_dump())
        if seq % every == 0:
            witness.append(seq - every + 1, seq, prev)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(AuditEvent), rows[i : i + 5000])
    lines = witness.lines()
    rates = []
    for _ in range(runs):
        with open_session(engine) as session:
            started = time.perf_counter()
            trail = check_trail(session, witness.key.public, witness)
            assert trail.broken is None and trail.problems == []
            rates.append(entries / (time.perf_counter() - started))
    return statistics.median(rates), len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument(
        "--every", type=int, default=1, help="one witnessed head per this many entries (1: every commit)"
    )
    args = parser.parse_args()
    render, sign = report_costs(args.runs)
    rate, heads = verify_rate(args.entries, args.every, max(1, args.runs // 2))
    print(f"{'measure':58} {'median':>12}  target")
    print(f"{'reference report rendered (s)':58} {render:12.2f}")
    print(f"{'PAdES signature added (s)':58} {sign:12.3f}")
    print(f"{'issue with signing / without (ratio)':58} {(render + sign) / render:12.3f}  <= 1.10")
    print(f"{f'verify: chain + {heads:,} signed heads (entries/s)':58} {rate:12,.0f}  >= 100,000")


if __name__ == "__main__":
    main()
