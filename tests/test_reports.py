"""PDF reports: the reference drill's facts, PDF/A, attachments matching the manifest and the vault,
contents page numbers that match, the register and its verify page, and a renderer that fetches nothing."""

import hashlib
import http.server
import io
import json
import re
import threading
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import select

from evidence.rendering.markdown import render_markdown
from evidence.reports.drill import drill_report
from evidence.reports.pdf import render_pdf
from models.drills.tables import Drill, DrillKind
from models.people.users import Role
from models.reports import IssuedReport
from tests.helpers import Auth, csrf_token, reread, sign_demo

pytestmark = pytest.mark.slow


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
        "Executive summary",
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
    entries = re.findall(r"([A-Z][A-Za-z' ]+?) \.{3,} ?(\d+)", toc)
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

    def check(**data):
        return client.post(
            "/reports/verify", data={"csrf_token": csrf_token(client, "/"), **data}, content_type="multipart/form-data"
        ).get_data(as_text=True)

    genuine = check(file=(io.BytesIO(drill_pdf), "report.pdf"))
    assert "Genuine: issued by Drillbook" in genuine and "No newer version" in genuine
    tampered = bytearray(drill_pdf)
    tampered[len(tampered) // 2] ^= 0x01
    assert "Not issued by Drillbook" in check(file=(io.BytesIO(bytes(tampered)), "report.pdf"))
    runner.invoke(args=["report", "drill", str(demo.id), "-o", str(tmp_path / "again.pdf")])
    assert "A newer version exists" in check(sha256=entry.sha256.upper())
    bad = client.post(
        "/reports/verify",
        data={"csrf_token": csrf_token(client, "/"), "sha256": "xyz"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422


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
