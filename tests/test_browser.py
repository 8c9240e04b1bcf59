"""End-to-end journeys in a real browser: Debian's Chromium driven by Playwright against a live server.

Each journey keeps screenshots of its key pages in test-artifacts/browser/, fails on any
JavaScript error or CSP violation in the console, and runs axe-core (from the npm registry,
see package.json) on its key pages: no serious or critical accessibility violation.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

from models.actions.tables import Action, ActionStatus, Priority
from models.core.types import utcnow
from models.people.users import Role
from tests.conftest import close_app, make_app, serving
from tests.helpers import PASSWORD, reread, sign_demo

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
#: the browser's own note that a form was answered with a 4xx on purpose, which is not a page error
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


class Visit:
    """A person at a browser: signs in, looks, and leaves a screenshot of what they saw."""

    def __init__(self, browser, base_url: str, journey: str, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport, base_url=base_url, accept_downloads=True)
        self.context.add_init_script(path=str(AXE))  # injected by the browser itself, so the pages' CSP stays on
        self.context.set_default_timeout(10_000)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type == "error" and not REFUSED.match(m.text) else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.journey, self.shots = journey, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def sign_in(self, email: str, password: str = PASSWORD):
        self.page.goto("/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        signed_in = self.page.get_by_role("button", name="Sign out").or_(self.page.get_by_role("button", name="Menu"))
        expect(signed_in.first).to_be_visible()  # on a phone, Sign out is behind the menu button

    def shot(self, name: str):
        """Keep a full-page screenshot; a capture that headless Chromium drops under load is tried once more."""
        self.shots += 1
        path = str(ARTIFACTS / f"{self.journey}-{self.shots:02d}-{name}.png")
        try:
            self.page.screenshot(path=path, full_page=True)
        except PlaywrightError:
            self.page.wait_for_timeout(500)
            self.page.screenshot(path=path, full_page=True)

    def accessible(self):
        """axe-core's serious and critical violations on the current page (none expected)."""
        script = (
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
        )
        self.page.wait_for_load_state()
        try:
            found = self.page.evaluate(script)
        except PlaywrightError:  # a click's navigation began under the check: judge the page it led to
            self.page.wait_for_load_state()
            found = self.page.evaluate(script)
        assert found == [], (self.page.url, found)

    def flash(self, text: str):
        expect(self.page.locator(".flash").filter(has_text=text)).to_be_visible()

    def close(self):
        self.context.close()
        assert self.errors == [], self.errors


def test_an_editor_records_a_drill_live_on_a_phone(browser, live_server, db, users, demo, tmp_path):
    me = Visit(browser, live_server, "1-record-live", PHONE)
    me.sign_in("editor@example.test")
    page = me.page
    page.goto("/drills")
    page.get_by_role("link", name="Plan or record a drill").click()
    page.get_by_label("Title").fill("DR failover 2026")
    page.get_by_label("Type of exercise").select_option("full_scale")
    page.get_by_label("AS2/AS4").check()
    me.accessible()
    page.get_by_role("button", name="Create drill").click()
    me.flash("Drill created.")
    drill_url = page.url
    page.goto(drill_url + "/steps/new")
    page.get_by_label("Phase").select_option("failover")
    page.locator("#f-title").fill("Switch the AS2 gateway to the backup site")
    page.get_by_role("button", name="Save").click()
    me.flash("Step added.")

    page.goto(drill_url + "/live")
    me.accessible()
    page.get_by_role("button", name="Start drill now").click()
    me.flash("Drill started.")
    page.locator(".live-row", has_text="Switch the AS2 gateway").get_by_role("button", name="Start").click()
    me.flash("Started: Switch the AS2 gateway")
    system = page.locator(".live-row", has_text="AS2/AS4")
    system.get_by_role("button", name="Down").click()
    me.flash("AS2/AS4 messaging marked down.")
    expect(page.locator(".live-row", has_text="AS2/AS4").locator(".badge")).to_have_text("Down")
    me.shot("cockpit-system-down")
    page.locator(".live-row", has_text="AS2/AS4").get_by_role("button", name="Back up").click()
    me.flash("AS2/AS4 messaging marked up.")
    page.locator(".live-row", has_text="Switch the AS2 gateway").get_by_role("button", name="Done").click()
    me.flash("Finished: Switch the AS2 gateway")
    page.get_by_label("What was found").fill("Two partners never registered the backup IP")
    page.get_by_role("button", name="Log finding").click()
    me.flash("Finding logged.")
    me.shot("cockpit-after")
    me.accessible()

    page.goto(drill_url)
    page.get_by_role("link", name="Two partners never registered the backup IP").first.click()
    page.get_by_role("link", name="Decide an action").click()
    page.locator("#f-title").fill("Ask both partners to register the backup IP")
    page.get_by_label("Owner").select_option(str(users[Role.EDITOR].id))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ask both partners to register the backup IP")).to_be_visible()

    (tmp_path / "failover.log").write_text("05:00 switch\n05:27 GAS/POWER up\n")
    (tmp_path / "partners.csv").write_text("partner,registered\nA,no\nB,no\n")
    drill_id = drill_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"/evidence/upload?drill={drill_id}")
    transfer = page.evaluate_handle("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["05:00 switch\\n05:27 GAS/POWER up\\n"], "failover.log", {type: "text/plain"}));
        dt.items.add(new File(["partner,registered\\nA,no\\nB,no\\n"], "partners.csv", {type: "text/csv"}));
        return dt; }""")
    page.locator("#dropzone").dispatch_event("drop", {"dataTransfer": transfer})
    page.get_by_role("button", name="Upload").click()
    # Both files stored, then the page moves on to the drill's evidence section.
    page.wait_for_url(re.compile(rf"/drills/{drill_id}#evidence$"))
    expect(page.get_by_text("partners.csv").first).to_be_visible()
    me.shot("evidence")
    me.close()
    reread(db)
    from sqlmodel import select

    from models.drills.tables import Drill

    drill = db.exec(select(Drill).where(Drill.title == "DR failover 2026")).one()
    assert drill.actual_start is not None and len(drill.outages) == 1 and drill.outages[0].ended_at is not None
    assert [f.title for f in drill.findings] == ["Two partners never registered the backup IP"]
    assert len(drill.evidence) == 2 and len(drill.findings[0].actions) == 1


def test_the_approver_reviews_and_signs(browser, live_server, db, users, demo):
    me = Visit(browser, live_server, "2-sign")
    me.sign_in("approver@example.test")
    page = me.page
    page.goto(f"/drills/{demo.id}/review")
    me.accessible()
    me.shot("review")
    page.get_by_label(re.compile("Why you sign")).fill("The write-up sets no recovery targets.")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name=re.compile("Sign revision")).click()
    expect(page.locator(".field-error, .flash-error").first).to_be_visible()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign revision")).click()
    me.flash("signed. The record is now frozen.")
    me.shot("signed")
    me.close()


def test_the_auditor_exports_the_report_and_verifies_it(browser, live_server, db, users, demo, tmp_path):
    sign_demo(db, demo, users)
    me = Visit(browser, live_server, "3-export-verify")
    me.sign_in("auditor@example.test")
    page = me.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Findings").click()
    page.get_by_role("searchbox", name="Search").fill("TSOs")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("2 findings.")).to_be_visible()
    me.accessible()
    me.shot("findings-search")
    page.get_by_role("row", name=re.compile("^Two TSOs")).get_by_role("link", name="Full datacenter failover").click()
    expect(page).to_have_url(re.compile(f"/drills/{demo.id}$"))
    me.accessible()
    me.shot("signed-drill")
    page.get_by_role("button", name="After-action report (PDF)").click()
    link = page.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    page.goto("/reports/verify")
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Genuine: issued by Drillbook")).to_be_visible()
    me.accessible()
    me.shot("verified")
    me.close()


def test_an_owner_completes_an_action_and_an_approver_records_it_effective(browser, live_server, db, users, demo):
    action = Action(
        title="Restart the batch server after failback",
        owner_id=users[Role.EDITOR].id,
        priority=Priority.HIGH,
        drill_id=demo.id,
        due_date=(utcnow() + timedelta(days=14)).date(),
    )
    db.add(action)
    db.commit()
    owner = Visit(browser, live_server, "4-action")
    owner.sign_in("editor@example.test")
    owner.page.goto("/actions/mine")
    owner.page.get_by_role("link", name="Restart the batch server after failback").click()
    owner.accessible()
    owner.page.locator("summary", has_text="Mark done").click()
    owner.page.get_by_label("What was done").fill("Enabled the service at boot; restarted twice to check.")
    owner.page.get_by_role("button", name="Mark done").click()
    owner.flash("Action marked done")
    owner.shot("done")
    owner.close()

    approver = Visit(browser, live_server, "4-action")
    approver.shots = owner.shots
    approver.sign_in("approver@example.test")
    approver.page.goto(f"/actions/{action.id}")
    approver.page.get_by_label("How it was checked").fill("Restarted the server during the test window")
    approver.page.get_by_label("Checked on").fill(utcnow().date().isoformat())
    approver.page.get_by_label("Result").select_option("effective")
    approver.page.get_by_role("button", name="Record check").click()
    approver.flash("Effectiveness check recorded.")
    approver.shot("verified")
    approver.close()
    reread(db)
    assert db.get(Action, action.id).status == ActionStatus.VERIFIED


def test_an_admin_adds_a_person_and_sets_a_controls_applicability(browser, live_server, db, users):
    me = Visit(browser, live_server, "5-admin")
    me.sign_in("admin@example.test")
    page = me.page
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add a person").click()
    me.accessible()
    page.get_by_label("E-mail").fill("cto@example.test")
    page.get_by_label("Name").fill("Chris Cto")
    page.get_by_label("Job title").fill("CTO")
    page.get_by_label("Role").select_option("approver")
    page.get_by_label("First password").fill("password1234")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("very common password")).to_be_visible()
    page.get_by_label("First password").fill("granite orchard seventeen")
    page.get_by_role("button", name="Save").click()
    me.flash("Chris Cto can now sign in")
    me.shot("people")
    page.goto("/controls/A.7.4/applicability")
    page.get_by_label("This control applies to the organisation").uncheck()
    page.get_by_label("Justification").fill("No physical premises of our own: hosted in a certified datacentre.")
    page.get_by_role("button", name="Save").click()
    me.flash("Applicability recorded.")
    me.shot("applicability")
    me.close()

    newcomer = Visit(browser, live_server, "5-admin")
    newcomer.sign_in("cto@example.test", "granite orchard seventeen")
    newcomer.close()


def test_a_probe_token_is_created_once_and_revoked_only_when_confirmed(browser, live_server, db, users):
    me = Visit(browser, live_server, "6-token")
    me.sign_in("editor@example.test")
    page = me.page
    page.goto("/account")
    page.get_by_role("link", name="API access tokens").click()
    page.get_by_label("What it is for").fill("Zabbix failover probe")
    page.get_by_label("Scope").select_option("write")
    page.get_by_label("Expires on").fill((utcnow() + timedelta(days=30)).date().isoformat())
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label("Your new token (shown only now)")).to_have_value(re.compile(r"^\S{20,}$"))
    me.accessible()
    me.shot("created")

    row = page.get_by_role("row", name="Zabbix failover probe")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_role("button", name="Revoke")).to_be_visible()  # dismissed: nothing was revoked
    assert questions == ["Revoke the token “Zabbix failover probe”? Scripts that use it stop working at once."]
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    me.flash("Token “Zabbix failover probe” revoked.")
    expect(page.get_by_role("row", name="Zabbix failover probe")).to_contain_text("Revoked")
    expect(page.get_by_label("Your new token (shown only now)")).to_have_count(0)
    me.shot("revoked")
    me.close()


def _html_pages(app, demo, evidence_item, signoff, issued):
    """Every page a person opens (GET, HTML), its parameters from the reference drill; API, files and feeds aside."""
    from tests.test_access import _routes

    skipped = ("/api/", "/calendar/", ".csv", ".json", ".ics", "/download", "/logout", "/static/", "/certificate")
    for _endpoint, method, url in _routes(app, demo, evidence_item, signoff, 1, issued.id):
        if method == "GET" and not any(part in url for part in skipped):
            yield url


def test_every_page_fits_a_phone_screen(browser, live_server, app, db, users, demo, evidence_item, signoff, issued):
    """On a phone the navigation took three rows with no menu button, tables scrolled sideways with one word a line,
    and the review page was 569 px wide."""
    me = Visit(browser, live_server, "6-phone", PHONE)
    me.sign_in("admin@example.test")
    too_wide = {}
    for url in sorted(set(_html_pages(app, demo, evidence_item, signoff, issued))):
        me.page.goto(url)
        width = me.page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[url] = width
    assert too_wide == {}
    me.page.goto(f"/drills/{demo.id}")
    menu = me.page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    findings = me.page.locator("#main-nav").get_by_role("link", name="Findings")
    expect(findings).to_be_hidden()
    menu.click()
    expect(findings).to_be_visible()
    row = me.page.locator("#recovery tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "grid", "a table row reads as a card on a phone"
    me.shot("drill")
    me.accessible()
    me.close()


def _delivered(inbox, address: str, subject_start: str, seconds: float = 10):
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        for mail in inbox.messages:
            if mail["To"] == address and " ".join(str(mail["Subject"]).split()).startswith(subject_start):
                return mail
        time.sleep(0.1)
    raise AssertionError(f"no e-mail “{subject_start}…” for {address}")


def test_submit_send_back_and_sign_with_open_items_told_by_mail_and_webhook(
    browser, live_server, app, db, users, demo, smtp
):
    """The path to a signature: readiness shown on submit, the queues of each role, a send-back the editor reads,
    an override reason kept; each step told by e-mail through a real SMTP server and to a webhook."""
    from models.drills.tables import DrillStatus
    from models.notifications.tables import Webhook
    from tests.test_notifications import Receiver

    receiver = Receiver()
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    receiver.secret = "journey-secret"
    db.add(Webhook(url=receiver.url, secret=receiver.secret, kinds="submitted,sent_back,signed"))
    demo.status = DrillStatus.RUNNING
    db.commit()

    editor = Visit(browser, live_server, "7-review-editor")
    editor.sign_in("editor@example.test")
    editor.page.goto(f"/drills/{demo.id}")
    expect(editor.page.get_by_role("heading", name=re.compile("Readiness for sign-off"))).to_be_visible()
    editor.shot("readiness")
    editor.page.get_by_role("button", name="Submit for review").click()
    editor.flash("Submitted")

    approver = Visit(browser, live_server, "7-review-approver")
    approver.sign_in("approver@example.test")
    _delivered(smtp, "approver@example.test", "Awaiting your signature")
    expect(approver.page.locator(".count")).to_be_visible()
    approver.page.locator(".queue").filter(has_text="Awaiting your signature").get_by_role(
        "link", name=demo.title
    ).click()
    expect(approver.page.get_by_label(re.compile("Why you sign"))).to_be_visible()
    approver.accessible()
    approver.shot("review")
    approver.page.get_by_label("Or send it back for changes").fill("Add the TSO partner list as evidence.")
    approver.page.get_by_role("button", name="Send back").click()
    approver.flash("Sent back")

    _delivered(smtp, "editor@example.test", "Sent back for changes")
    editor.page.goto("/")
    sent_back = editor.page.locator(".queue").filter(has_text="Sent back to you")
    expect(sent_back).to_contain_text("Add the TSO partner list as evidence.")
    sent_back.get_by_role("link", name=demo.title).click()
    expect(editor.page.get_by_role("heading", name="Sent back for changes")).to_be_visible()
    editor.page.get_by_role("button", name="Submit for review").click()
    editor.flash("Submitted")

    approver.page.goto(f"/drills/{demo.id}/review")
    approver.page.get_by_label(re.compile("Why you sign")).fill("The write-up sets no recovery targets; set for 2021.")
    approver.page.get_by_label("Your password").fill(PASSWORD)
    approver.page.get_by_role("button", name=re.compile("Sign revision")).click()
    approver.flash("signed. The record is now frozen.")
    expect(approver.page.locator("#signoff")).to_contain_text("The write-up sets no recovery targets")
    approver.shot("signed")
    _delivered(smtp, "editor@example.test", "Signed")
    import time

    deadline = time.time() + 10
    while time.time() < deadline and len(receiver.calls) < 4:
        time.sleep(0.1)
    receiver.server.shutdown()
    assert [body["event"] for ok, body in receiver.calls] == ["submitted", "sent_back", "submitted", "signed"]
    assert all(ok for ok, _ in receiver.calls), "every call carries a valid signature"
    editor.close()
    approver.close()


def test_the_cockpit_takes_no_input_after_the_end(browser, live_server, db, users):
    from models.drills.tables import Drill, DrillKind, DrillStatus, Step

    drill = Drill(title="Mail failover", kind=DrillKind.FUNCTIONAL, status=DrillStatus.RUNNING, actual_start=utcnow())
    db.add(drill)
    db.flush()
    db.add(Step(drill_id=drill.id, phase="failover", title="Fail over mail", position=1))
    db.commit()
    me = Visit(browser, live_server, "8-cockpit-end", PHONE)
    me.sign_in("editor@example.test")
    me.page.goto(f"/drills/{drill.id}/live")
    expect(me.page.get_by_role("button", name="Start")).to_be_visible()
    me.page.once("dialog", lambda dialog: dialog.accept())
    me.page.get_by_role("button", name="End drill").click()
    me.flash("Drill ended.")
    expect(me.page.get_by_text("the cockpit no longer takes timings")).to_be_visible()
    expect(me.page.get_by_role("button", name="Start")).to_have_count(0)
    me.accessible()
    me.shot("ended")
    me.close()


def test_the_cto_signs_in_and_signs_off_through_the_identity_provider(
    browser, tmp_path, database_url, oidc_provider, users, demo
):
    """The provider's own pages: sign in, sign in again to sign, and sign out of both."""
    app = make_app(tmp_path / "sso", database_url, **oidc_provider.settings())
    with serving(app) as base:
        me = Visit(browser, base, "6-single-sign-on")
        page = me.page
        page.route(
            re.compile(r"^https://fonts\.googleapis\.com/"),
            lambda route: route.fulfill(body="", content_type="text/css"),
        )
        page.goto("/login")
        me.accessible()
        me.shot("sign-in-choice")
        page.get_by_role("link", name="Sign in with Test IdP").click()
        provider_sign_in(page, "cto")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        page.goto(f"/drills/{demo.id}/review")
        expect(page.get_by_text("you sign in again at Test IdP")).to_be_visible()
        me.accessible()
        me.shot("review-sso")
        page.get_by_label(re.compile("Why you sign")).fill("The write-up sets no recovery targets.")
        page.get_by_role("button", name=re.compile("Sign revision")).click()
        provider_sign_in(page, "cto")  # asked again, though the provider's session is open
        me.flash("signed. The record is now frozen.")
        me.shot("signed-sso")

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Yes, sign me out").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.get_by_role("link", name="Sign in with Test IdP")).to_be_visible()
        page.get_by_role("link", name="Sign in with Test IdP").click()
        expect(page.get_by_placeholder("Enter any login")).to_be_visible()  # signed out at the provider too
        me.close()
    close_app(app)


def provider_sign_in(page, login: str) -> None:
    """The provider's own sign-in page, as the person fills it in."""
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_the_auditor_reads_the_exercise_programme(browser, live_server, users, demo):
    for name, viewport in (("desktop", {"width": 1366, "height": 900}), ("phone", PHONE)):
        me = Visit(browser, live_server, f"9-programme-{name}", viewport)
        me.sign_in("auditor@example.test")
        me.page.goto("/programme?year=2020")
        expect(me.page.get_by_role("heading", name="Gaps in 2020")).to_be_visible()
        expect(me.page.get_by_text("No cyber-attack scenario in 2020 (asked for by DORA Art. 11(6)).")).to_be_visible()
        me.accessible()
        me.shot("programme")
        me.page.goto("/frameworks/dora?from=2020-01-01&to=2020-12-31")
        expect(me.page.get_by_role("heading", name="DORA, Regulation (EU) 2022/2554")).to_be_visible()
        me.accessible()
        me.shot("dora")
        me.close()
