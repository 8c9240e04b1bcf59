"""Languages: English, French and Dutch, chosen by the person, else by their browser, else by the organisation;
the catalogues hold a translation of every string marked for translation."""

import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.people.users import Role
from tests.conftest import close_app, make_app
from tests.helpers import csrf_token, reread

ROOT = Path(__file__).resolve().parents[1]


def nav(response) -> str:
    return response.get_data(as_text=True).split('id="main-nav">')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    "accept, lang, words",
    [
        ("fr-BE,fr;q=0.9,en;q=0.5", "fr", ["Tableau de bord", "Exercices", "Constats", "Mesures de sécurité"]),
        ("nl-BE", "nl", ["Oefeningen", "Bevindingen", "Beheersmaatregelen", "Bewijsstukken"]),
        ("en-GB", "en", ["Dashboard", "Drills", "Findings", "Controls"]),
        ("de-DE", "en", ["Dashboard", "Drills"]),
    ],
)
def test_until_a_person_chooses_their_browser_decides(client, auth, users, accept, lang, words):
    auth.login_as(Role.EDITOR)
    page = client.get("/", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)
    assert all(word in nav(page) for word in words), nav(page)


def test_a_persons_choice_outranks_their_browser_and_can_be_undone(client, auth, users, db):
    auth.login_as(Role.EDITOR)
    token = csrf_token(client, "/account")
    saved = client.post("/account/language", data={"language": "fr", "csrf_token": token}, follow_redirects=True)
    assert "Votre langue est enregistrée." in saved.get_data(as_text=True)
    reread(db)
    assert users[Role.EDITOR].language == "fr"
    assert "Exercices" in nav(client.get("/", headers={"Accept-Language": "nl-BE"}))
    assert client.get("/actions/export.csv", headers={"Accept-Language": "en"}).get_data(as_text=True).count(";") > 5
    refused = client.post("/account/language", data={"language": "de", "csrf_token": token}, follow_redirects=True)
    assert "Choose English, Français or Nederlands." in refused.get_data(as_text=True)
    reread(db)
    assert users[Role.EDITOR].language == "fr", "an unknown language is refused, the choice kept"
    client.post("/account/language", data={"language": "", "csrf_token": token})
    reread(db)
    assert users[Role.EDITOR].language is None
    assert "Oefeningen" in nav(client.get("/", headers={"Accept-Language": "nl-BE"}))


def test_the_sign_in_page_and_its_messages_speak_the_browsers_language(client, users):
    headers = {"Accept-Language": "nl-BE"}
    page = client.get("/login", headers=headers).get_data(as_text=True)
    assert "<h1>Aanmelden</h1>" in page and "E-mailadres" in page and "Wachtwoord" in page
    token = csrf_token(client)
    refused = client.post(
        "/login", data={"email": "nobody@example.test", "password": "wrong", "csrf_token": token}, headers=headers
    )
    assert refused.status_code == 401 and "Het e-mailadres of het wachtwoord is niet juist." in refused.get_data(
        as_text=True
    )


def test_the_organisations_language_serves_browsers_that_ask_for_none_of_ours(tmp_path, database_url):
    app = make_app(tmp_path, database_url, LANGUAGE="nl")
    try:
        page = app.test_client().get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
        assert '<html lang="nl">' in page and "Aanmelden" in page
    finally:
        close_app(app)


def _translated(message) -> bool:
    """A translation for the string, or one for every plural form."""
    return all(message.string) if isinstance(message.string, tuple) else bool(message.string)


def test_every_marked_string_and_every_label_is_translated_in_both_catalogues():
    """The catalogues are complete for what the sources mark and for every label of the domain's enumerations:
    no string missing, none empty, none fuzzy (translations/update.py builds what is wanted)."""
    spec = importlib.util.spec_from_file_location("catalogue_update", ROOT / "translations" / "update.py")
    update = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(update)
    wanted = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in update.template() if m.id}
    assert len([w for w in wanted if w[0]]) > 90, "the enumerations' labels are wanted too"
    for language in ("fr", "nl"):
        with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogue = read_po(f, locale=language)
        done = {
            (m.context, m.id if isinstance(m.id, str) else tuple(m.id))
            for m in catalogue
            if m.id and _translated(m) and "fuzzy" not in m.flags
        }
        assert wanted - done == set(), f"{language}: untranslated or fuzzy"


def test_the_dashboard_counts_in_the_readers_language(client, auth, users, demo):
    auth.login_as(Role.EDITOR)
    page = client.get("/", headers={"Accept-Language": "nl-BE"}).get_data(as_text=True)
    assert "recente oefening</a>" in page and "Openstaande acties" in page and "Te laat" not in page.split("<h1>")[0]
    assert "1</span> recent drill</a>" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_statuses_and_kinds_are_shown_in_the_readers_language_and_stored_as_codes(client, auth, users, demo, db):
    auth.login_as(Role.AUDITOR)
    french = client.get(f"/drills/{demo.id}", headers={"Accept-Language": "fr-BE"}).get_data(as_text=True)
    assert "Axe d'amélioration" in french or "Axe d&#39;amélioration" in french
    assert "Basculement" in french and "Exercice grandeur nature" in french
    dutch = client.get(f"/drills/{demo.id}", headers={"Accept-Language": "nl-BE"}).get_data(as_text=True)
    assert "Verbeterpunt" in dutch and "Omschakeling" in dutch
    reread(db)
    assert {f.kind.value for f in demo.findings} <= {"improvement", "incident", "strength"}
    assert demo.kind.english == "Full-scale exercise", "outside a request the domain speaks English"
