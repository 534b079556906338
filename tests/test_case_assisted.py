"""Assisted case creation: a caseworker hashes the person's images on the caseworker's device
(the same page and script as the public one) and the case is marked helpline-assisted."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.audit_events import CASE_CREATED
from cases.models import Case
from tests.api_helpers import assert_error, row_counts
from tests.factories import UserFactory, random_pdq
from tests.staff_helpers import signed_in as staff_signed_in

pytestmark = pytest.mark.django_db

PAGE, SUBMIT = reverse("assisted:new"), reverse("assisted:submit")


def signed_in(role: str | None, *, csrf: bool = False) -> Client:
    user = UserFactory(role=role) if role else UserFactory()
    client = staff_signed_in(user, enforce_csrf=csrf)
    client.user = user  # type: ignore[attr-defined]
    return client


def submit(client: Client, hashes: list[dict[str, object]], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(SUBMIT, json.dumps({"hashes": hashes}), content_type="application/json", **headers)


def pdq(quality: int = 90) -> dict[str, object]:
    return {"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": quality}


def test_the_page_needs_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "admin", None])
def test_only_caseworkers_may_use_the_page_or_submit(role):
    client = signed_in(role)

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"age": "adult", "in_images": "on"}).status_code == 403
    assert_error(submit(client, [pdq()]), 403)
    assert Case.objects.count() == 0


def test_the_caseworker_asks_the_gate_questions_and_gets_the_same_hasher():
    client = signed_in("caseworker")

    gate = client.get(PAGE).content.decode()
    hasher = client.post(PAGE, {"age": "adult", "in_images": "on"}).content.decode()
    minor = client.post(PAGE, {"age": "minor"}).content.decode()

    assert "How old is the person?" in gate and "The person confirms" in gate
    assert f'data-endpoint="{SUBMIT}"' in hasher and "case-new.js" in hasher
    assert "no case has been created" in minor and 'id="hasher"' not in minor


def test_anonymous_submissions_are_refused():
    assert_error(submit(Client(), [pdq()]), 403)
    assert Case.objects.count() == 0


def test_submitting_needs_the_csrf_token():
    client = signed_in("caseworker", csrf=True)
    assert client.get(PAGE).status_code == 200
    token = client.cookies["csrftoken"].value

    refused = submit(client, [pdq()])
    created = submit(client, [pdq()], HTTP_X_CSRFTOKEN=token)

    assert_error(refused, 403)
    assert created.status_code == 201, created.content
    assert Case.objects.count() == 1


def test_an_assisted_case_is_marked_and_audited_as_the_caseworker_s():
    client = signed_in("caseworker")
    video = {"signalType": "VideoMD5", "hashValue": "0123456789abcdef" * 2, "quality": None}

    response = submit(client, [pdq(), video])

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"caseNumber", "pin"}
    case = Case.objects.get(number=body["caseNumber"])
    assert case.source == Case.Source.HELPLINE
    assert case.hash_links.count() == 2
    event = AuditEvent.objects.get(action=CASE_CREATED)
    assert (event.actor_user_id, event.after["source"]) == (client.user.pk, "helpline")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("hashes", "code"),
    [
        ([], "invalid"),
        ([{**pdq(), "hashValue": "xyz"}], "invalid_hash"),
        ([pdq(quality=10)], "invalid_hash"),
        ([{**pdq(), "image": "AAAA"}], "invalid"),  # nothing but the three fields
        ([dict(pdq())] * 2, "duplicate_hash"),
    ],
)
def test_bad_hashes_are_refused_and_nothing_is_written(hashes, code):
    client = signed_in("caseworker")
    before = row_counts()

    assert_error(submit(client, hashes), 400, code)
    assert row_counts() == before
