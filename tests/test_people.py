"""People: password rules and authentication."""

import pytest

from models.people.users import PasswordRuleError, Role, add_user, authenticate


def test_password_rules(db):
    with pytest.raises(PasswordRuleError, match="at least 12"):
        add_user(db, "a@example.test", "A", Role.EDITOR, "short")
    with pytest.raises(PasswordRuleError, match="at most 128"):
        add_user(db, "a@example.test", "A", Role.EDITOR, "x" * 129)
    with pytest.raises(ValueError, match="not an e-mail"):
        add_user(db, "nobody", "A", Role.EDITOR, "long enough password")


def test_authenticate(db):
    user = add_user(db, " Ann@Example.test ", "Ann", Role.EDITOR, "long enough password")
    assert user.email == "ann@example.test"
    assert authenticate(db, "ANN@example.test", "long enough password") is user
    assert authenticate(db, "ann@example.test", "wrong password!!") is None
    assert authenticate(db, "nobody@example.test", "long enough password") is None
    with pytest.raises(ValueError, match="already exists"):
        add_user(db, "ann@example.test", "Ann", Role.EDITOR, "long enough password")
    user.active = False
    assert authenticate(db, "ann@example.test", "long enough password") is None


def test_user_without_password_cannot_sign_in(db):
    add_user(db, "nopass@example.test", "No Pass", Role.EDITOR, None)
    assert authenticate(db, "nopass@example.test", "") is None
