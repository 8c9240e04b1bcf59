"""Administering people: who may sign in, with which role; only administrators come here."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.core.changes import validate
from models.people.accounts import add_person, change_person, list_people
from models.people.inputs import UserIn
from models.people.users import Role, User
from views.support.access import allow
from views.support.forms import form_values, parse_form
from views.support.saving import get_or_404, save
from views.support.session import get_db

bp = Blueprint("people", __name__, url_prefix="/people")


def _form(person, values, errors, status=200):
    roles = [(r.value, r.label) for r in Role]
    return render_template("people/form.html", person=person, values=values, errors=errors, roles=roles), status


@bp.route("")
@allow(Role.ADMIN)
def index():
    """Everyone on record, active first."""
    return render_template("people/index.html", people=list_people(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new():
    """Add a person with a first password to hand over."""
    if request.method == "GET":
        return _form(None, {"active": "on", "role": Role.AUDITOR.value}, {})
    data, errors = parse_form(UserIn, request.form)
    result = save(lambda: add_person(get_db(), validate(UserIn, data), current_user), errors)
    if not result.ok:
        return _form(None, request.form.to_dict(), result.errors, 422)
    flash(
        f"{result.value.name} can now sign in as {result.value.email}. Hand over the first password in person or by phone.",
        "success",
    )
    return redirect(url_for("people.index"))


@bp.route("/<id:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(user_id: int):
    """Change a person's role or details, deactivate them, or reset their password."""
    person = get_or_404(User, user_id)
    if request.method == "GET":
        return _form(person, {**form_values(person, UserIn), "password": ""}, {})
    data, errors = parse_form(UserIn, request.form)
    result = save(lambda: change_person(get_db(), person, validate(UserIn, data), current_user), errors)
    if not result.ok:
        return _form(person, {**request.form.to_dict(), "password": ""}, result.errors, 422)
    flash(f"{person.name} saved." + ("" if person.active else " They can no longer sign in."), "success")
    return redirect(url_for("people.index"))
