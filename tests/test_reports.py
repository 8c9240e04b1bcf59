"""PDF reports: the reference drill's facts, PDF/A, attachments matching the manifest and the vault,
contents page numbers that match, the register and its verify page, and a renderer that fetches nothing."""

import hashlib
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from html import unescape as html_unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader
from sqlalchemy import event
from sqlmodel import select

from evidence.rendering.markdown import render_markdown
from evidence.reports.drill import drill_report
from evidence.reports.pdf import EmbeddedFile, render_pdf
from evidence.reports.signing import OrganisationCertificate, report_certificate, sign_pdf
from models.drills.tables import Drill, DrillKind
from models.people.users import Role
from models.reports import IssuedReport, JobStatus, ReportJob, ReportKind
from tests.helpers import Auth, csrf_token, reread, sign_demo

pytestmark = pytest.mark.slow


def verify_page(client, pdf: bytes | None = None, **fields):
    """The verify page's answer for a PDF file, or for the form `fields` (sha256=...)."""
    if pdf is not None:
        fields["file"] = (io.BytesIO(pdf), "report.pdf")
    return client.post(
        "/reports/verify", data={"csrf_token": csrf_token(client, "/"), **fields}, content_type="multipart/form-data"
    )


def page_texts(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def drill_pdf(runner, tmp_path, demo, evidence_item):
    out = tmp_path / "drill.pdf"
    result = runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_reference_drill_report_holds_the_key_facts(drill_pdf):
    text = " ".join(page_texts(drill_pdf))
    for fact in [
        "Full datacenter failover: Kortrijk to Brussels",
        "Saturday 13 June 2020",
        "Kortrijk (Courtrai), Belgium → Brussels, Belgium",
        "2 h 17 min",
        "27 min",
        "Two TSOs had not registered the backup datacenter's IP address",
        "A server did not restart correctly after the failback",
        "Not related to the drill",
        "Move to a DNS provider that allows a shorter time-to-live",
        "A.5.30",
        "ICT readiness for business continuity",
        "Infrastructure partner",
        "DRAFT",
        "failover.log",
        "Saturday 13 July",
    ]:
        assert fact in text, fact
    pages = page_texts(drill_pdf)
    assert all(f"Page {i} of {len(pages)}" in t for i, t in enumerate(pages, start=1))


def test_report_is_pdf_a_3b_with_metadata(drill_pdf):
    reader = PdfReader(io.BytesIO(drill_pdf))
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert reader.metadata["/Title"].startswith("Full datacenter failover") and "A.5.30" in reader.metadata["/Keywords"]
    assert [o.title for o in reader.outline if hasattr(o, "title")][:3] == [
        "Full datacenter failover: Kortrijk to Brussels",
        "Contents",
        "Exercise overview",
    ]


def test_attachments_match_the_manifest_and_the_vault(drill_pdf, vault, evidence_item):
    attachments = PdfReader(io.BytesIO(drill_pdf)).attachments
    manifest = json.loads(attachments["manifest.json"][0])
    [entry] = manifest["evidence"]
    assert entry["sha256"] == evidence_item.sha256 and entry["embedded"] is True
    embedded = attachments[entry["attachment"]][0]
    assert (
        hashlib.sha256(embedded).hexdigest()
        == entry["sha256"]
        == hashlib.sha256(vault.path_for(entry["sha256"]).read_bytes()).hexdigest()
    )


def test_contents_page_numbers_match_the_pages(drill_pdf):
    pages = page_texts(drill_pdf)
    toc = pages[1].split("Contents", 1)[1]
    entries = re.findall(r"([A-Z][A-Za-z',: ]+?) ?\.{3,} ?(\d+)", toc)
    assert len(entries) >= 10
    for title, number in entries:
        assert title.strip() in pages[int(number) - 1], (title, number)


def test_signed_report_shows_the_signature_and_content_hash(runner, tmp_path, db, users, demo):
    sign_demo(db, demo, users)
    out = tmp_path / "signed.pdf"
    assert runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)]).exit_code == 0
    text = " ".join(page_texts(out.read_bytes()))
    signoff = demo.signoffs[-1]
    assert "SIGNED" in text and "DRAFT" not in text and signoff.content_sha256[:32] in text.replace(" ", "")


def test_every_issued_pdf_is_registered_and_verifiable(app, db, runner, tmp_path, users, demo, drill_pdf):
    reread(db)
    entry = db.exec(select(IssuedReport)).one()
    assert entry.sha256 == hashlib.sha256(drill_pdf).hexdigest() and entry.subject == f"drill:{demo.id}"
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)

    def check(pdf=None, **fields):
        return verify_page(client, pdf, **fields).get_data(as_text=True)

    genuine = check(drill_pdf)
    assert "Genuine: issued by Drillbook" in genuine and "No newer version" in genuine
    tampered = bytearray(drill_pdf)
    tampered[len(tampered) // 2] ^= 0x01
    answer = check(bytes(tampered))
    assert (
        "Not issued by Drillbook" in answer
        and "signature no longer matches" in answer
        and "carries the manifest of" in answer
    )
    runner.invoke(args=["report", "drill", str(demo.id), "-o", str(tmp_path / "again.pdf")])
    assert "A newer version exists" in check(sha256=entry.sha256.upper())
    assert verify_page(client, sha256="xyz").status_code == 422


def test_controls_pack_and_actions_report(runner, tmp_path, demo, evidence_item):
    out = tmp_path / "controls.pdf"
    assert (
        runner.invoke(
            args=["report", "controls", "--from", "2020-01-01", "--to", "2020-12-31", "-o", str(out)]
        ).exit_code
        == 0
    )
    text = " ".join(page_texts(out.read_bytes()))
    assert (
        "Statement of Applicability" in text
        and "A.5.30" in text
        and "failover.log" in text
        and "Controls without fresh evidence" in text
    )
    backwards = runner.invoke(args=["report", "controls", "--from", "2021-01-01", "--to", "2020-01-01", "-o", str(out)])
    assert backwards.exit_code == 1 and "ends before it starts" in backwards.output
    actions = tmp_path / "actions.pdf"
    assert runner.invoke(args=["report", "actions", "-o", str(actions)]).exit_code == 0
    assert "Test availability with every AS2/AS4" in " ".join(page_texts(actions.read_bytes()))
    assert runner.invoke(args=["report", "drill", "999", "-o", str(actions)]).exit_code == 1


def test_empty_states_instead_of_empty_headings(runner, tmp_path):
    out = tmp_path / "actions.pdf"
    assert runner.invoke(args=["report", "actions", "-o", str(out)]).exit_code == 0
    assert "No open actions." in " ".join(page_texts(out.read_bytes()))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        _Recorder.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


MALICIOUS_MARKDOWN = [
    "![secret](file:///etc/passwd)",
    "<img src='http://{host}/img.png'>",
    "<link rel='stylesheet' href='http://{host}/style.css'>",
    "<style>@import url('file:///etc/hostname'); body {{ background: url('http://{host}/bg.png') }}</style>",
    "[click](file:///etc/passwd)",
    "<iframe src='http://{host}/frame'></iframe><object data='http://{host}/obj'></object>",
    "<svg><image href='http://{host}/svg.png'/></svg>",
]


@pytest.mark.parametrize("payload", MALICIOUS_MARKDOWN)
def test_user_markdown_cannot_make_the_renderer_read_files_or_reach_the_network(payload):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_port}"
    _Recorder.hits = []
    try:
        html = f"<html><body><h1>x</h1>{render_markdown(payload.format(host=host))}</body></html>"
        rendered = render_pdf(html, "body { font-family: DejaVu Sans }")
        assert _Recorder.hits == [] and rendered.refused_urls == []
        assert "root:" not in " ".join(page_texts(rendered.pdf))
    finally:
        server.shutdown()


def test_the_renderer_itself_refuses_what_a_template_might_point_at():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.hits = []
    try:
        url = f"http://127.0.0.1:{server.server_port}/x.png"
        rendered = render_pdf(
            f"<img src='{url}'><img src='file:///etc/passwd'><p>ok</p>",
            f"@import url('file:///etc/hostname'); p {{ background: url('{url}') }}",
        )
        assert _Recorder.hits == []
        assert set(rendered.refused_urls) >= {url, "file:///etc/passwd", "file:///etc/hostname"}
    finally:
        server.shutdown()


def test_export_from_the_browser_renders_in_the_background(app, db, users, demo):
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    started = client.post(f"/reports/drill/{demo.id}", data={"csrf_token": csrf_token(client, "/")})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    deadline = time.time() + 90
    while time.time() < deadline:
        page = client.get(job_url).get_data(as_text=True)
        if "Ready." in page or "could not be made" in page:
            break
        time.sleep(0.5)
    assert "Ready." in page, page[-800:]
    download = re.search(r'href="(/reports/\d+/download)"', page).group(1)
    pdf = client.get(download).data
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() in page


def test_a_render_past_the_time_limit_is_stopped(app, users, demo):
    app.config["REPORT_TIME_LIMIT_SECONDS"] = 0
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    job_url = client.post("/reports/actions", data={"csrf_token": csrf_token(client, "/")}).headers["Location"]
    deadline = time.time() + 20
    while time.time() < deadline and "could not be made" not in (page := client.get(job_url).get_data(as_text=True)):
        time.sleep(0.2)
    assert "took longer than the 0 s time limit" in page


def _ask(client, url: str, **data) -> str:
    response = client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _wait_ready(client, job_url: str, seconds: float = 90) -> str:
    deadline = time.time() + seconds
    while time.time() < deadline:
        page = client.get(job_url).get_data(as_text=True)
        if "Ready." in page or "could not be made" in page:
            return page
        time.sleep(0.3)
    raise AssertionError(page[-800:])


def test_reports_wait_in_a_queue_run_by_at_most_n_workers(app, db, users, demo):
    """Eight requests ran eight WeasyPrint processes at once (850 MiB)."""
    app.config["REPORT_WORKERS"] = 1
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    jobs = [_ask(client, "/reports/controls", **{"from": f"2020-01-0{day}", "to": "2020-12-31"}) for day in (1, 2, 3)]
    assert "number 1 in the queue" in client.get(jobs[1]).get_data(as_text=True)
    assert "number 2 in the queue" in client.get(jobs[2]).get_data(as_text=True)
    most = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        reread(db)
        statuses = [job.status for job in db.exec(select(ReportJob)).all()]
        most = max(most, statuses.count(JobStatus.RUNNING))
        if all(status == JobStatus.DONE for status in statuses):
            break
        time.sleep(0.1)
    errors = [job.error for job in db.exec(select(ReportJob)).all()]
    assert statuses == [JobStatus.DONE] * 3, errors  # each render's end starts the next: the queue drains by itself"
    assert most == 1


def test_each_person_has_at_most_a_few_reports_waiting(app, users, demo):
    app.config["REPORT_WORKERS"] = 0  # nothing renders: the queue only grows
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    for day in (1, 2, 3):
        _ask(client, "/reports/controls", **{"from": f"2020-01-0{day}", "to": "2020-12-31"})
    refused = client.post("/reports/actions", data={"csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 429 and "3 reports waiting" in refused.get_data(as_text=True)
    colleague = app.test_client()
    Auth(colleague).login_as(Role.APPROVER)
    assert "number 4 in the queue" in colleague.get(_ask(colleague, "/reports/actions")).get_data(as_text=True)


def test_an_identical_request_on_unchanged_content_reuses_the_issued_pdf(app, db, users, demo):
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    first = _wait_ready(client, _ask(client, "/reports/actions"))
    again = client.get(_ask(client, "/reports/actions")).get_data(as_text=True)
    assert "Nothing this report shows has changed" in again
    reread(db)
    assert len(db.exec(select(IssuedReport)).all()) == 1
    sha256 = re.search(r'<code class="hash">([0-9a-f]{64})</code>', first).group(1)
    assert sha256 in again
    colleague = app.test_client()
    Auth(colleague).login_as(Role.EDITOR)
    page = colleague.get(f"/actions/{demo.actions[0].id}/edit").get_data(as_text=True)
    assert (
        colleague.post(
            f"/actions/{demo.actions[0].id}/edit",
            data={**_form_values(page), "title": "Register the backup IP with both partners, in writing"},
        ).status_code
        == 302
    )
    changed = _wait_ready(client, _ask(client, "/reports/actions"))
    assert "Rendered in" in changed and sha256 not in changed
    reread(db)
    assert len(db.exec(select(IssuedReport)).all()) == 2


def _form_values(page: str) -> dict:
    """The values a browser would send back from the first form on `page` (inputs, selected options, text areas)."""
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        values[name] = chosen.group(1) if chosen else ""
    return {k: html_unescape(v) for k, v in values.items()}


def test_a_render_holds_no_write_lock_while_it_renders(app, db, users, demo):
    """Renders once held SQLite's write lock for their whole run: every upload and tap waited, pages queued behind."""
    from models import audit
    from models.core.database import make_engine, open_session

    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    _ask(client, f"/reports/drill/{demo.id}")
    impatient = make_engine(app.config["DATABASE_URL"])
    if impatient.dialect.name == "sqlite":  # after the engine's own settings, so this one counts
        event.listen(impatient, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=200"))
    writes, deadline = 0, time.time() + 90
    while time.time() < deadline:
        reread(db)
        status = db.exec(select(ReportJob)).one().status
        if status != JobStatus.RUNNING:
            if status == JobStatus.QUEUED:
                continue
            break
        with open_session(impatient, write=True) as session:  # waits at most 0.2 s for the lock
            audit.record(session, "test", actor="someone else", entity_id=writes)
            session.commit()
        writes += 1
        time.sleep(0.05)
    impatient.dispose()
    assert db.exec(select(ReportJob)).one().status == JobStatus.DONE
    assert writes >= 5, "the render ended before anyone else wrote"


def _pdf_text(client, page: str) -> str:
    return _text_of(client.get(re.search(r'href="(/reports/\d+/download)"', page).group(1)).data)


@pytest.mark.parametrize("with_records", [False, True], ids=["fresh instance", "reference drill"])
def test_every_report_kind_is_issued_through_the_web_job(app, db, users, request, with_records):
    """The control evidence pack failed every time from the web, on a fresh instance too; the CLI worked."""
    asked = {
        "/reports/controls": ({"from": "2020-01-01", "to": "2020-12-31"}, "Control evidence pack"),
        "/reports/actions": ({}, "Action follow-up"),
    }
    if with_records:
        asked[f"/reports/drill/{request.getfixturevalue('demo').id}"] = ({}, "After-action report")
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    jobs = {url: _ask(client, url, **form) for url, (form, _) in asked.items()}
    for url, job_url in jobs.items():
        page = _wait_ready(client, job_url)
        assert "Ready." in page, (url, page[-600:])
        assert asked[url][1].lower() in _pdf_text(client, page).lower(), url


def test_an_unexpected_render_failure_shows_no_exception_text(app, db, users):
    """The job page showed the raw exception ("TypeError: '<=' not supported between ...")."""
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    broken = ReportJob(
        kind=ReportKind.CONTROLS, params='{"from": "2020-01-01", "to": null}', requested_by_id=users[Role.AUDITOR].id
    )
    db.add(broken)
    db.commit()
    page = _wait_ready(client, f"/reports/jobs/{broken.id}")
    assert "could not be made" in page
    assert "TypeError" not in page and "NoneType" not in page and "fromisoformat" not in page
    assert f"report job {broken.id}" in page  # what to quote to an administrator, who finds it in the server log


def test_a_render_whose_node_went_away_frees_its_worker(app, db, users):
    from datetime import timedelta

    from models.core.types import utcnow
    from models.reports import claim_next

    gone = ReportJob(
        kind=ReportKind.ACTIONS,
        requested_by_id=users[Role.AUDITOR].id,
        status=JobStatus.RUNNING,
        node="gone",
        started_at=utcnow() - timedelta(hours=1),
    )
    waiting = ReportJob(kind=ReportKind.ACTIONS, requested_by_id=users[Role.AUDITOR].id)
    db.add_all([gone, waiting])
    db.commit()
    claimed = claim_next(db, "gone", 1, timedelta(minutes=6))
    db.commit()
    assert claimed.id == waiting.id and gone.status == JobStatus.FAILED and "time limit" in gone.error


def test_the_next_drills_report_follows_up_the_previous_drills_actions(app, db, demo):
    later = Drill(
        title="Failover 2021", kind=DrillKind.FUNCTIONAL, actual_start=datetime(2021, 6, 12, 3, 0, tzinfo=timezone.utc)
    )
    db.add(later)
    db.commit()
    with app.test_request_context():
        data = drill_report(db, later.id, datetime.now(timezone.utc), ZoneInfo("Europe/Brussels"), "", "tester")
        first = drill_report(db, demo.id, datetime.now(timezone.utc), ZoneInfo("Europe/Brussels"), "", "tester")
    assert data["previous"]["title"] == demo.title and len(data["previous"]["actions"]) == 4
    assert first["previous"] is None


def test_rpo_and_mtd_misses_are_flagged_on_the_page_and_in_the_summary(app, db, users, demo):
    """13 min of lost data against a 5 min RPO showed no "Missed"; the executive summary counted RTOs only."""
    from evidence.reports.issuing import render_report

    systems = {s.name: s for s in demo.systems}
    systems["GAS/POWER platform"].rpo_minutes = 5
    systems["COSMOS platform"].mtd_minutes = 120
    link = next(s for s in demo.scope if s.system_id == systems["GAS/POWER platform"].id)
    link.last_data_at = datetime(2020, 6, 13, 2, 47, tzinfo=timezone.utc)  # 04:47 in Brussels, 13 min before 05:00
    db.commit()
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    page = client.get(f"/drills/{demo.id}").get_data(as_text=True)
    gas = page[page.index("<td>GAS/POWER platform</td>") :].split("</tr>")[0]
    cosmos = page[page.index("<td>COSMOS platform</td>") :].split("</tr>")[0]
    assert "13 min / 5 min" in gas and "Missed" in gas
    assert "Exceeded" in cosmos
    with app.app_context():
        text = " ".join(_text_of(render_report(db, ReportKind.DRILL, {"drill_id": demo.id}, "tester").pdf).split())
    assert "Recovery point objectives met: 0 of 1 (missed by GAS/POWER platform)" in text
    assert "Maximum tolerable downtimes respected: 0 of 1 (exceeded by COSMOS platform)" in text


def _text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


# Digital signatures: PAdES with the organisation's certificate, checked by pdfsig and offline ------------------


def _resaved(pdf: bytes) -> bytes:
    """The report as a viewer saves it after adding a note: an incremental update after the signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/PageMode"] = NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _verify_offline(tmp_path, pdf: bytes, *args: str) -> subprocess.CompletedProcess:
    """`drillbook verify-pdf` as an auditor runs it: in an empty folder, with no Drillbook setting at all."""
    folder = tmp_path / "auditor"
    folder.mkdir(exist_ok=True)
    (folder / "report.pdf").write_bytes(pdf)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRILLBOOK_")}
    return subprocess.run(
        [sys.executable, "-c", "import app; app.main()", "verify-pdf", "report.pdf", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_issued_reports_carry_a_signature_that_pdfsig_accepts_over_the_whole_file(drill_pdf, tmp_path):
    (tmp_path / "report.pdf").write_bytes(drill_pdf)
    report = subprocess.run(["pdfsig", str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    altered = bytearray(drill_pdf)
    altered[len(altered) // 3] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    report = subprocess.run(["pdfsig", str(tmp_path / "altered.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in report


def test_verify_pdf_needs_no_database_and_tells_genuine_from_altered_resaved_and_forged(app, drill_pdf, tmp_path):
    certificate = Path(app.config["INSTANCE_PATH"]) / "keys" / "report-signing-cert.pem"
    genuine = _verify_offline(tmp_path, drill_pdf, "--certificate", str(certificate))
    assert genuine.returncode == 0, genuine.stderr
    assert "GENUINE" in genuine.stdout and re.search(r"state\s+draft", genuine.stdout)
    assert not (tmp_path / "auditor" / "instance").exists(), "checking a PDF writes nothing"
    without = _verify_offline(tmp_path, drill_pdf)
    assert without.returncode == 1 and "Checked only against the certificate inside the file" in without.stderr
    altered = bytearray(drill_pdf)
    altered[len(altered) // 3] ^= 0x01
    assert _verify_offline(tmp_path, bytes(altered), "--certificate", str(certificate)).returncode == 1
    resaved = _verify_offline(tmp_path, _resaved(drill_pdf), "--certificate", str(certificate))
    assert resaved.returncode == 1 and "Changes were added after signing" in resaved.stderr
    forger = OrganisationCertificate.load(None, None, tmp_path / "forger", "Example NV")
    forged = sign_pdf(render_pdf("<h1>Full datacenter failover</h1>", "").pdf, forger, "forged")
    result = _verify_offline(tmp_path, forged, "--certificate", str(certificate))
    assert result.returncode == 1 and "not made with the organisation's certificate" in result.stderr
    assert _verify_offline(tmp_path, b"%PDF-1.7 not really").returncode == 1


def test_the_verify_page_says_draft_or_signed_and_knows_a_resaved_copy(
    app, db, runner, tmp_path, users, demo, drill_pdf
):
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)

    def check(pdf):
        return verify_page(client, pdf).get_data(as_text=True)

    draft = check(drill_pdf)
    assert "Genuine: issued by Drillbook" in draft and "DRAFT" in draft
    copy = check(_resaved(drill_pdf))
    assert "re-saved copy of a genuine report" in copy and "Genuine: issued by Drillbook" not in copy
    sign_demo(db, demo, users)
    runner.invoke(args=["report", "drill", str(demo.id), "-o", str(tmp_path / "signed.pdf")])
    signed = check((tmp_path / "signed.pdf").read_bytes())
    assert "Signed" in signed and users[Role.APPROVER].name in signed and "DRAFT" not in signed


@pytest.mark.parametrize("manifest", [b"not json", b"[1, 2]", b'{"report": {}, "evidence": [{"embedded": true}]}'])
def test_a_hostile_manifest_is_never_genuine_and_never_a_500(app, db, drill_pdf, tmp_path, manifest):
    with app.app_context():
        certificate = report_certificate()
    pdf = sign_pdf(render_pdf("<h1>x</h1>", "", [EmbeddedFile("manifest.json", manifest, "m")]).pdf, certificate, "t")
    path = Path(app.config["INSTANCE_PATH"]) / "keys" / "report-signing-cert.pem"
    result = _verify_offline(tmp_path, pdf, "--certificate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    response = verify_page(client, pdf)
    assert response.status_code == 200 and "Not issued by Drillbook" in response.get_data(as_text=True)


def _write_register_row(db, pdf: bytes, title: str) -> None:
    """A register entry put straight into the database, as someone holding it would."""
    db.add(
        IssuedReport(
            sha256=hashlib.sha256(pdf).hexdigest(),
            kind="drill",
            title=title,
            subject="drill:1",
            size=len(pdf),
            issued_by="x",
        )
    )
    db.commit()


def test_a_register_entry_written_into_the_database_does_not_make_a_forgery_genuine(app, db, users, tmp_path):
    forger = OrganisationCertificate.load(None, None, tmp_path / "forger", "Example NV")
    forged = sign_pdf(render_pdf("<h1>Full datacenter failover</h1>", "").pdf, forger, "forged")
    _write_register_row(db, forged, "Forged")
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    answer = verify_page(client, forged).get_data(as_text=True)
    assert "Genuine: issued by Drillbook" not in answer and "Not issued by Drillbook" in answer
    unsigned = render_pdf("<h1>Full datacenter failover</h1>", "").pdf
    _write_register_row(db, unsigned, "Unsigned")
    answer = verify_page(client, sha256=hashlib.sha256(unsigned).hexdigest()).get_data(as_text=True)
    assert "Genuine: issued by Drillbook" not in answer, "a register row the audit trail never saw issued"


def test_an_unsigned_drills_report_is_never_reused(app, db, users, demo):
    """Its figures run to the moment of rendering: a running drill's reused PDF said "still down" all day."""
    app.config["REPORT_WORKERS"] = 0
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    for _ in range(2):
        _ask(client, f"/reports/drill/{demo.id}")
    reread(db)
    assert [(job.reused, job.content_key) for job in db.exec(select(ReportJob)).all()] == [(False, "")] * 2


def test_evidence_embedded_in_a_report_never_keeps_a_name_that_would_run(app, db, vault, users, demo):
    from evidence.intake import store_evidence
    from evidence.reports.issuing import _attachments

    store_evidence(
        db,
        vault,
        [b"line\n" * 20_000 + b"<script>alert(1)</script>"],
        "payload.html",
        {"drill_id": demo.id},
        users[Role.EDITOR],
        10**7,
    )
    db.commit()
    with app.test_request_context():
        files, entries = _attachments(
            db, drill_report(db, demo.id, datetime.now(timezone.utc), ZoneInfo("Europe/Brussels"), "", "tester")
        )
    assert [f.name for f in files if "payload" in f.name] == [
        e["attachment"] for e in entries if "payload" in e["name"]
    ]
    assert all(name.endswith(".html.txt") for name in (f.name for f in files) if "payload" in name)


def test_reuse_serves_only_a_pdf_the_audit_trail_saw_issued(app, db, users):
    """Someone holding the database could write a finished job and a register row that the next request reused."""
    app.config["REPORT_WORKERS"] = 0
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    _ask(client, "/reports/actions")
    reread(db)
    key = db.exec(select(ReportJob)).one().content_key
    forged = b"%PDF-1.7 written into the database"
    _write_register_row(db, forged, "Forged")
    row = db.exec(select(IssuedReport)).one()
    db.add(
        ReportJob(
            kind="actions",
            requested_by_id=users[Role.EDITOR].id,
            status=JobStatus.DONE,
            report_id=row.id,
            content_key=key,
        )
    )
    db.commit()
    colleague = app.test_client()
    Auth(colleague).login_as(Role.APPROVER)
    _ask(colleague, "/reports/actions")
    reread(db)
    assert db.exec(select(ReportJob).order_by(ReportJob.id.desc())).first().reused is False


def test_a_bad_audit_period_shows_the_form_again_with_what_was_typed(app, users):
    """An error for an audit period was a bare error page: the form and what was typed were lost."""
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    backwards = client.post(
        "/reports/controls", data={"csrf_token": csrf_token(client, "/"), "from": "2021-01-01", "to": "2020-01-01"}
    )
    page = backwards.get_data(as_text=True)
    assert backwards.status_code == 422 and "The audit period ends before it starts." in page
    assert 'value="2021-01-01"' in page and 'value="2020-01-01"' in page and 'action="/reports/controls"' in page
    garbled = client.post(
        "/reports/controls", data={"csrf_token": csrf_token(client, "/"), "from": "last year", "to": ""}
    )
    assert garbled.status_code == 422 and "Give the audit period as two dates" in garbled.get_data(as_text=True)
    assert 'value="last year"' in garbled.get_data(as_text=True)
