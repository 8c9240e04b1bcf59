"""The language each person reads Drillbook in: their own choice on their account page; until they choose,
their browser's; else the organisation's (DRILLBOOK_LANGUAGE). Texts come from the gettext catalogues in
translations/ (French as a Belgian practitioner writes it, Dutch as NBN EN ISO/IEC 27001 does); what
people typed is never translated."""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, pgettext
from flask_login import current_user

from models.core import types
from models.people.users import LANGUAGE_CODES

#: the languages Drillbook speaks, each by its own name
LANGUAGES = dict(zip(LANGUAGE_CODES, ("English", "Français", "Nederlands"), strict=True))
#: the locale each stands for, for dates and numbers: Belgian French and Dutch, British English
LOCALES = {"en": "en_GB", "fr": "fr_BE", "nl": "nl_BE"}
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def organisation_language() -> str:
    language = current_app.config.get("LANGUAGE") or "en"
    return language if language in LANGUAGES else "en"


def page_language() -> str:
    """The language of this request's answer: the person's choice, else their browser's, else the organisation's."""
    if not has_request_context():
        return organisation_language()
    chosen = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or organisation_language()


def _locale() -> str:
    return LOCALES[page_language()]


def _label(context: str, label: str) -> str:
    """A status, kind or rating in the reader's language, within a request; as written elsewhere (reports are
    rendered in processes of their own, in English for now)."""
    return pgettext(context, label) if has_request_context() else label


def register(app: Flask) -> None:
    Babel(app, locale_selector=_locale, default_translation_directories=str(TRANSLATIONS))
    types.translate_label = _label
    app.jinja_env.globals.update(page_language=page_language, LANGUAGES=LANGUAGES)
