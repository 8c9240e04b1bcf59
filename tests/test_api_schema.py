"""The API against its own OpenAPI document: schemathesis generates requests from the document, valid and not,
and every answer must be no 5xx and must match the document (status code, content type, body schema)."""

from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from models.people.tokens import Scope, issue
from models.people.users import Role
from tests.helpers import bearer
from views.api.openapi import document

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [(method.upper(), path) for path, ops in document()["paths"].items() for method in ops]


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_operation_keeps_to_the_document(app, db, users, demo, evidence_item, method, path):
    _, secret = issue(db, users[Role.ADMIN], "schemathesis", Scope.WRITE, date.today() + timedelta(days=1))
    db.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().method.upper() == method and result.ok().path == path
    )

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(headers=bearer(secret), checks=CHECKS)

    fuzz()
