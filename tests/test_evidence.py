"""The evidence vault: bytes and hashes survive, bad files and names get nowhere, and nothing half-written remains."""

import hashlib
import io
import os
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from app import create_app
from evidence.intake import store_evidence
from models.evidence import Evidence
from models.people.users import Role
from tests.helpers import csrf_token, reread, sign_demo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def editor(client, auth):
    auth.login_as(Role.EDITOR)
    return client


def form_upload(client, files, **fields):
    data = {
        "csrf_token": csrf_token(client, "/"),
        "files": [(io.BytesIO(content), name) for name, content in files],
        **fields,
    }
    return client.post("/evidence/upload", data=data, content_type="multipart/form-data")


def raw_upload(client, content, name, query="", **headers):
    return client.post(
        f"/evidence/upload-raw?{query}",
        data=content,
        headers={"X-CSRFToken": csrf_token(client, "/"), "X-Filename": name, "Accept": "application/json", **headers},
    )


def count(db):
    reread(db)
    return db.exec(select(func.count()).select_from(Evidence)).one()


def leftovers(vault):
    return list(vault.tmp.iterdir())


def test_bytes_and_hash_survive_a_round_trip(editor, db, vault, demo):
    content = os.urandom(3 * 1024 * 1024 + 17)
    response = form_upload(
        editor,
        [("löwe évidence.pdf", b"%PDF-1.4\n" + content)],
        drill_id=str(demo.id),
        collected_on="2020-06-13",
        controls="A.5.30",
    )
    assert response.status_code == 302
    reread(db)
    record = db.exec(select(Evidence)).one()
    expected = hashlib.sha256(b"%PDF-1.4\n" + content).hexdigest()
    assert (
        record.sha256 == expected
        and record.media_type == "application/pdf"
        and [c.code for c in record.controls] == ["A.5.30"]
    )
    download = editor.get(f"/evidence/{record.id}/download")
    assert hashlib.sha256(download.data).hexdigest() == expected
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''l%C3%B6we%20%C3%A9vidence.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert vault.path_for(expected).is_file() and leftovers(vault) == []


def test_streamed_upload_and_identical_content_stored_once(editor, db, vault):
    first = raw_upload(editor, PDF, "report.pdf", "description=Test%20plan&collected_on=2020-06-01")
    second = raw_upload(editor, PDF, "copy%20of%20report.pdf")
    assert first.status_code == second.status_code == 201
    assert first.json["sha256"] == second.json["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert count(db) == 2
    stored = [p for p in vault.objects.rglob("*") if p.is_file()]
    assert len(stored) == 1


@pytest.mark.parametrize(
    "raw_name, shown",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a\x00b\x1b[31mc.txt", "ab[31mc.txt"),
        ("", "unnamed"),
        ("   ", "unnamed"),
    ],
)
def test_file_names_are_display_only(editor, db, vault, raw_name, shown):
    response = raw_upload(editor, b"plain log line\n", raw_name.replace("\x00", "%00").replace("\x1b", "%1B"))
    assert response.status_code == 201
    assert db.get(Evidence, response.json["id"]).original_name == shown
    assert all(p.resolve().is_relative_to(vault.root.resolve()) for p in vault.root.rglob("*"))


def test_over_long_names_keep_their_extension(editor, db):
    response = raw_upload(editor, b"x\n", "n" * 400 + ".csv")
    name = db.get(Evidence, response.json["id"]).original_name
    assert len(name) == 255 and name.endswith("….csv")


@pytest.mark.parametrize(
    "name, content, accepted_as",
    [
        ("screenshot.png", b"<html><script>alert(1)</script></html>", None),
        ("diagram.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', None),
        ("notes.txt", b"<?xml version='1.0'?><x/>", None),
        ("tool.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 50, None),
        ("setup.txt", b"MZ\x90\x00\x03\x00", None),
        ("report.pdf", PNG, "image/png"),
        ("log", b"2020-06-13 05:00 failover started\n", "text/plain"),
    ],
)
def test_types_are_judged_by_content(editor, db, vault, name, content, accepted_as):
    response = raw_upload(editor, content, name)
    if accepted_as is None:
        assert response.status_code == 422 and "not accepted as evidence" in response.json["detail"]
        assert response.headers["Content-Type"] == "application/problem+json"
        assert count(db) == 0 and leftovers(vault) == []
    else:
        assert response.status_code == 201 and db.get(Evidence, response.json["id"]).media_type == accepted_as


def test_empty_files_are_refused(editor, db, vault):
    response = form_upload(editor, [("empty.pdf", b"")])
    assert response.status_code == 422 and "The file is empty." in response.get_data(as_text=True)
    assert count(db) == 0 and leftovers(vault) == []


def test_one_bad_file_keeps_the_whole_batch_out(editor, db):
    response = form_upload(editor, [("good.pdf", PDF), ("bad.html", b"<html></html>")])
    assert response.status_code == 422 and "bad.html: This kind of file is not accepted" in response.get_data(
        as_text=True
    )
    assert count(db) == 0


def test_upload_without_files_or_with_bad_metadata(editor, db):
    assert "Choose at least one file." in form_upload(editor, []).get_data(as_text=True)
    bad_dates = form_upload(editor, [("a.pdf", PDF)], collected_on="2021-01-02", valid_until="2021-01-01")
    assert bad_dates.status_code == 422 and "Valid until a date before it was collected" in bad_dates.get_data(
        as_text=True
    )
    unknown = raw_upload(editor, PDF, "a.pdf", "drill_id=999")
    assert unknown.status_code == 422 and "That drill does not exist." in unknown.json["detail"]
    assert count(db) == 0


def test_over_the_limit_is_413_and_leaves_nothing(app, editor, db, vault):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = raw_upload(editor, b"a" * 10_000, "big.txt")
    assert response.status_code == 413 and "more than the server accepts" in response.json["detail"]
    multipart = form_upload(editor, [("big.txt", b"a" * 10_000)])
    assert multipart.status_code == 413
    assert count(db) == 0 and leftovers(vault) == []


@pytest.mark.parametrize(
    "terminated", [False, True], ids=["length-checked-by-werkzeug", "server-marks-input-terminated"]
)
def test_a_cut_off_upload_leaves_no_record_and_no_file(editor, db, vault, terminated):
    response = editor.post(
        "/evidence/upload-raw",
        input_stream=io.BytesIO(b"%PDF-1.7 only part of it"),
        headers={"X-CSRFToken": csrf_token(editor, "/"), "X-Filename": "cut.pdf"},
        environ_overrides={"CONTENT_LENGTH": "5000000", "wsgi.input_terminated": terminated},
    )
    assert response.status_code == 400
    assert count(db) == 0 and leftovers(vault) == [] and not any(p.is_file() for p in vault.objects.rglob("*"))


def test_leftover_temporary_files_are_cleaned_at_start(tmp_path, database_url, vault):
    old, fresh = vault.tmp / "upload-old.part", vault.tmp / "upload-new.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    create_app({"TESTING": True, "INSTANCE_PATH": str(vault.root.parent), "DATABASE_URL": database_url})
    assert not old.exists() and fresh.exists(), "a recent file may be another worker's upload in progress"


def test_a_correction_is_a_new_version_and_both_stay(editor, db, evidence_item):
    response = editor.post(
        f"/evidence/{evidence_item.id}/supersede",
        data={
            "csrf_token": csrf_token(editor, "/"),
            "file": (io.BytesIO(b"failover log, corrected\n"), "failover-v2.log"),
            "description": "fixed times",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    reread(db)
    new = db.exec(select(Evidence).where(Evidence.supersedes_id == evidence_item.id)).one()
    assert new.drill_id == evidence_item.drill_id and [c.code for c in new.controls] == ["A.5.30"]
    assert "Superseded by" in editor.get(f"/evidence/{evidence_item.id}").get_data(as_text=True)
    assert editor.get(f"/evidence/{evidence_item.id}/download").data == b"failover log\n05:00 start\n"


def test_a_signed_drill_takes_no_new_evidence(editor, db, demo, users):
    sign_demo(db, demo, users)
    response = raw_upload(editor, PDF, "late.pdf", f"drill_id={demo.id}")
    assert response.status_code == 422 and "signed" in response.json["detail"]


def test_verify_catches_a_flipped_byte_and_a_deleted_file(runner, db, vault, evidence_item, users):
    assert runner.invoke(args=["verify"]).exit_code == 0
    reread(db)
    assert db.get(Evidence, evidence_item.id).last_verified_at is not None
    path = vault.path_for(evidence_item.sha256)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))
    altered = runner.invoke(args=["verify"])
    assert altered.exit_code == 1 and f"ALTERED  {evidence_item.sha256}" in altered.output
    path.unlink()
    missing = runner.invoke(args=["verify"])
    assert missing.exit_code == 1 and f"MISSING  {evidence_item.sha256}" in missing.output


def test_download_of_a_missing_file_is_a_clear_404(editor, vault, evidence_item):
    vault.path_for(evidence_item.sha256).unlink()
    response = editor.get(f"/evidence/{evidence_item.id}/download")
    assert response.status_code == 404 and "drillbook verify" in response.get_data(as_text=True)


def test_a_cut_off_multipart_upload_leaves_nothing(editor, db, vault):
    token = csrf_token(editor, "/")
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="files"; filename="cut.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.7 and then the connection dropped"
    )
    response = editor.post(
        "/evidence/upload",
        input_stream=io.BytesIO(body),
        content_type="multipart/form-data; boundary=XyZ",
        environ_overrides={"CONTENT_LENGTH": str(len(body) + 100000), "wsgi.input_terminated": True},
    )
    assert response.status_code == 400
    assert count(db) == 0 and leftovers(vault) == []


def test_a_signed_drills_evidence_cannot_be_superseded_into_it(editor, db, demo, users, evidence_item):
    """The form names no drill: the new version would inherit the signed drill from the file it corrects."""
    sign_demo(db, demo, users)
    before = db.exec(select(func.count()).select_from(Evidence)).one()
    response = editor.post(
        f"/evidence/{evidence_item.id}/supersede",
        data={"csrf_token": csrf_token(editor, "/"), "file": (io.BytesIO(b"rewritten log\n"), "failover-v2.log")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "signed" in response.get_data(as_text=True)
    reread(db)
    assert db.exec(select(func.count()).select_from(Evidence)).one() == before


def test_the_database_refuses_evidence_for_a_signed_drill_whatever_the_code_does(db, vault, demo, users, evidence_item):
    sign_demo(db, demo, users)
    db.add(Evidence(sha256="0" * 64, original_name="x.log", size=1, media_type="text/plain", drill_id=demo.id))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    with pytest.raises(IntegrityError):
        db.execute(text("DELETE FROM evidence_control WHERE evidence_id = :e"), {"e": evidence_item.id})
        db.commit()
    db.rollback()
    other = store_evidence(
        db, vault, [b"unrelated\n"], "other.log", {"drill_id": None}, users[Role.EDITOR], 10_000, "A.8.13"
    )
    db.commit()
    with pytest.raises(IntegrityError):  # moving another file's link onto the signed drill's evidence
        db.execute(
            text("UPDATE evidence_control SET evidence_id = :e WHERE evidence_id = :o"),
            {"e": evidence_item.id, "o": other.id},
        )
        db.commit()


@pytest.mark.parametrize(
    "name, content, offered",
    [
        (
            "report.html",
            b"quarterly figures\n" * 4000 + b"<html><script>alert(document.domain)</script>",
            "report.html.txt",
        ),
        ("drawing.svg", b"x" * 70_000 + b"<svg onload=alert(1)>", "drawing.svg.txt"),
        ("run.js", b"console.log('failover done')\n", "run.js.txt"),
        ("photo.PNG", PNG, "photo.PNG"),
        ("photo.jpg", PNG, "photo.jpg.png"),
        ("failover.log", b"05:00 start\n", "failover.log"),
        ("README", b"plain words\n", "README.txt"),
    ],
)
def test_a_download_never_keeps_a_name_its_content_does_not_earn(editor, demo, name, content, offered):
    """A file whose HTML started after its first 64 KiB was stored as text and downloaded as report.html."""
    response = raw_upload(editor, content, name, f"drill_id={demo.id}")
    assert response.status_code == 201, response.get_data(as_text=True)
    download = editor.get(f"/evidence/{response.get_json()['id']}/download")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.split("filename=")[1].strip('"') == offered
