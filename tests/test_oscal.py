"""OSCAL 1.1 exports, judged by compliance-trestle 3.12 (NIST's OSCAL 1.1.3 models and trestle's own checks of
duplicate UUIDs and references): a drill revision's assessment results and the follow-up actions' POA&M."""

import copy
import json

import pydantic.v1
import pytest
import trestle.core.validator_factory  # noqa: F401  (registers the validators; all_validator cannot be imported first)
from trestle.core.all_validator import AllValidator
from trestle.oscal import assessment_results as ar
from trestle.oscal import poam as pm

from models.people.users import Role
from tests.helpers import bearer, make_token, reread, sign_demo


def valid(model, document: dict):
    """The document parsed by trestle's model of it and passed by every validator trestle has; AssertionError if not."""
    parsed = model.parse_obj(document)
    top = getattr(parsed, next(iter(model.__fields__)))  # the validators read the top-level model itself
    validator = AllValidator()
    assert validator.model_is_valid(top, quiet=True, trestle_root=None), validator.error_msg()
    return parsed


@pytest.fixture
def auditor(client, auth, users):
    auth.login_as(Role.AUDITOR)
    return client


def test_a_drill_exports_as_assessment_results_that_trestle_accepts(auditor, demo):
    response = auditor.get(f"/drills/{demo.id}/oscal/assessment-results.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    parsed = valid(ar.Model, document)
    result = parsed.assessment_results.results[0]
    assert parsed.assessment_results.metadata.oscal_version.__root__ == "1.1.3"
    steps = [o for o in result.observations if o.title.startswith("Step ")]
    assert len(steps) == len(demo.steps) == 6
    props = [{p.name: p.value for p in o.props} for o in steps]
    assert [p["actual-minutes"] for p in props] == ["15", "2", "10", "120", "55", "35"]
    assert [p.get("planned-minutes") for p in props] == [
        str(s.planned_minutes) if s.planned_minutes is not None else None
        for s in sorted(demo.steps, key=lambda s: s.position)
    ]
    recovery = {o.title: o for o in result.observations if o.title.startswith("Recovery of ")}
    assert "Recovery of COSMOS platform" in recovery
    controls = {c.control_id for sel in result.reviewed_controls.control_selections for c in sel.include_controls}
    assert {"A.5.29", "A.5.30", "A.8.13", "A.8.14", "clause-10.2"} <= controls
    assert len(result.findings) == len(demo.findings)
    # what needs fixing is a risk, remediated by the actions decided for it
    remediations = [r for risk in result.risks for r in (risk.remediations or [])]
    assert len(remediations) == sum(1 for a in demo.actions if a.finding_id)
    # the same records get the same UUIDs on a second export; the document itself a new one
    again = auditor.get(f"/drills/{demo.id}/oscal/assessment-results.json").get_json()["assessment-results"]
    assert again["results"][0]["observations"] == document["assessment-results"]["results"][0]["observations"]
    assert again["uuid"] != document["assessment-results"]["uuid"]


def test_a_signed_drill_exports_what_was_signed_with_the_sign_off_as_attestation(auditor, db, demo, users, vault):
    from evidence.intake import store_evidence

    for _ in range(2):  # the same bytes twice: two resources with two UUIDs, in the signed content too
        store_evidence(db, vault, [b"same bytes\n"], "log.txt", {"drill_id": demo.id}, users[Role.EDITOR], 10_000, "")
    db.commit()
    sign_demo(db, demo, users)
    reread(db)
    document = auditor.get(f"/drills/{demo.id}/oscal/assessment-results.json").get_json()
    parsed = valid(ar.Model, document)
    result = parsed.assessment_results.results[0]
    attestation = result.attestations[0]
    assert "True account of the exercise." in attestation.parts[0].prose
    signoff = demo.signoffs[0]
    assert {p.name: p.value for p in result.props}["content-sha256"] == signoff.content_sha256
    assert parsed.assessment_results.metadata.version.endswith("signed")


def test_the_actions_export_as_a_poam_that_trestle_accepts(auditor, demo):
    document = auditor.get("/actions/oscal/poam.json").get_json()
    parsed = valid(pm.Model, document)
    items = parsed.plan_of_action_and_milestones.poam_items
    assert sorted(i.title for i in items) == sorted(a.title for a in demo.actions)
    dated = [i for i in items if any(p.name == "due-date" for p in (i.props or []))]
    assert len(dated) == sum(1 for a in demo.actions if a.due_date)
    risks = {r.uuid for r in parsed.plan_of_action_and_milestones.risks}
    assert all(link.risk_uuid in risks for i in items for link in (i.related_risks or []))
    only = auditor.get(f"/actions/oscal/poam.json?drill={demo.id}").get_json()
    assert len(only["plan-of-action-and-milestones"]["poam-items"]) == len(demo.actions)
    assert auditor.get("/actions/oscal/poam.json?drill=999").status_code == 404
    assert auditor.get("/actions/oscal/poam.json?drill=abc").status_code == 400


def test_a_broken_export_is_rejected(auditor, demo):
    """The judge is not lenient: a missing required field, a bad date, a bad token and a duplicate UUID each fail."""
    document = auditor.get(f"/drills/{demo.id}/oscal/assessment-results.json").get_json()
    valid(ar.Model, document)
    breakages = {
        "no import-ap": lambda d: d["assessment-results"].pop("import-ap"),
        "a date that is no date": lambda d: d["assessment-results"]["results"][0].update(start="13 June 2020, 05:00"),
        "a control id that is no token": lambda d: d["assessment-results"]["results"][0]["reviewed-controls"][
            "control-selections"
        ][0]["include-controls"][0].update({"control-id": "10.2"}),
        "a duplicate uuid": lambda d: d["assessment-results"]["results"][0]["observations"][1].update(
            uuid=d["assessment-results"]["results"][0]["observations"][0]["uuid"]
        ),
        "an unknown field": lambda d: d["assessment-results"]["results"][0].update(verdict="fine"),
    }
    for name, breakage in breakages.items():
        broken = copy.deepcopy(document)
        breakage(broken)
        with pytest.raises((pydantic.v1.ValidationError, AssertionError)):
            valid(ar.Model, broken)
            pytest.fail(f"{name} was accepted")


def test_the_command_line_and_the_api_give_the_same_documents(runner, tmp_path, app, db, demo, users):
    out = tmp_path / "ar.json"
    result = runner.invoke(args=["export", "oscal", "assessment-results", "--drill", str(demo.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    valid(ar.Model, json.loads(out.read_text()))
    poam = tmp_path / "poam.json"
    result = runner.invoke(args=["export", "oscal", "poam", "-o", str(poam)])
    assert result.exit_code == 0, result.output
    cli_items = json.loads(poam.read_text())["plan-of-action-and-milestones"]["poam-items"]
    assert runner.invoke(args=["export", "oscal", "assessment-results", "--drill", "999", "-o", str(out)]).exit_code
    client = app.test_client()
    headers = bearer(make_token(db, users[Role.AUDITOR]))
    api = client.get(f"/api/v1/drills/{demo.id}/oscal/assessment-results", headers=headers)
    assert api.status_code == 200
    valid(ar.Model, api.get_json())
    api_poam = client.get("/api/v1/actions/oscal/poam", headers=headers).get_json()
    valid(pm.Model, api_poam)
    app.config["BASE_URL"] = f"http://{app.config['HOST']}:{app.config['PORT']}/"  # the address the CLI names itself by
    api_poam = client.get("/api/v1/actions/oscal/poam", headers=headers).get_json()
    assert [i["uuid"] for i in api_poam["plan-of-action-and-milestones"]["poam-items"]] == [
        i["uuid"] for i in cli_items
    ]
    assert client.get("/api/v1/drills/999/oscal/assessment-results", headers=headers).status_code == 404


def test_uuids_follow_records_not_positions_nor_the_host_asked_for(auditor, db, demo, vault, users):
    """The same bytes stored twice are two resources; deleting a step leaves the others' UUIDs; a forged Host
    header changes neither UUIDs nor links."""
    from evidence.intake import store_evidence

    for _ in range(2):
        store_evidence(db, vault, [b"same bytes\n"], "log.txt", {"drill_id": demo.id}, users[Role.EDITOR], 10_000, "")
    db.commit()
    url = f"/drills/{demo.id}/oscal/assessment-results.json"
    document = auditor.get(url).get_json()
    valid(ar.Model, document)
    steps = {o["title"]: o["uuid"] for o in document["assessment-results"]["results"][0]["observations"]}
    first = min((s for s in demo.steps), key=lambda s: s.position)
    db.delete(first)
    db.commit()
    token = bearer(make_token(db, users[Role.AUDITOR]))  # a token, not a cookie: the forged Host keeps it
    forged_host = auditor.get(
        f"/api/v1/drills/{demo.id}/oscal/assessment-results", headers={**token, "Host": "evil.example"}
    )
    assert forged_host.status_code == 200, forged_host.status_code
    again = forged_host.get_json()
    after = {
        o["title"].split(": ", 1)[-1]: o["uuid"] for o in again["assessment-results"]["results"][0]["observations"]
    }
    kept = {t.split(": ", 1)[-1]: u for t, u in steps.items() if t.startswith("Step ") and first.title not in t}
    assert kept and all(after[title] == uuid for title, uuid in kept.items())
    assert "evil.example" not in json.dumps(again)


def test_odd_requests_for_exports_are_refused_clearly(auditor, db, demo):
    from models.drills.tables import Drill, DrillKind

    assert auditor.get("/actions/oscal/poam.json?drill=²").status_code == 400
    empty = Drill(title="No actions", kind=DrillKind.TABLETOP)
    db.add(empty)
    db.commit()
    response = auditor.get(f"/actions/oscal/poam.json?drill={empty.id}")
    assert response.status_code == 404 and "no follow-up actions" in response.get_data(as_text=True)


def test_an_altered_signature_is_a_clear_refusal_not_a_500(auditor, db, demo, users, runner, tmp_path):
    from sqlalchemy import text

    sign_demo(db, demo, users)
    forged = demo.signoffs[0].snapshot.replace("Kortrijk", "Kortrijk (edited)")
    sql = "UPDATE sign_off SET snapshot = :s WHERE drill_id = :d"
    if db.get_bind().dialect.name == "postgresql":  # as someone holding the database would
        db.execute(text("ALTER TABLE sign_off DISABLE TRIGGER USER"))
        db.execute(text(sql), {"s": forged, "d": demo.id})
        db.execute(text("ALTER TABLE sign_off ENABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER sign_off_no_update"))
        db.execute(text(sql), {"s": forged, "d": demo.id})
    db.commit()
    response = auditor.get(f"/drills/{demo.id}/oscal/assessment-results.json")
    assert response.status_code == 422 and "no longer matches its hash" in response.get_data(as_text=True)
    out = tmp_path / "ar.json"
    result = runner.invoke(args=["export", "oscal", "assessment-results", "--drill", str(demo.id), "-o", str(out)])
    assert result.exit_code == 1 and "no longer matches its hash" in result.output and not out.exists()
