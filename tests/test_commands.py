import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from audit.selectors import audit_chain_verify
from moderation.models import ReviewItem, ReviewState
from ncii_site.roles import ROLE_PERMISSIONS
from partners.models import Partner, PartnerKey


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_partner_prints_working_keys_once_and_stores_only_digests(db):
    keys = json.loads(run("create_partner", "acme", "--json"))
    assert set(keys) == {"partner", "subscriptionKey", "functionKeys", "apiKey"}
    assert set(keys["functionKeys"]) == {"FetchHashes", "SubmitFeedback", "SubmitHashes"}
    stored = set(PartnerKey.objects.values_list("digest", flat=True))
    plaintexts = {keys["apiKey"], keys["subscriptionKey"], *keys["functionKeys"].values()}
    assert not stored & plaintexts and len(stored) == 5
    client = Client()
    fetch = client.get(
        "/v1/FetchHashes?startTimestamp=0",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=keys["subscriptionKey"],
        HTTP_X_FUNCTIONS_KEY=keys["functionKeys"]["FetchHashes"],
    )
    assert fetch.status_code == 200
    own = client.get("/api/v1/matches/1", HTTP_AUTHORIZATION=f"Bearer {keys['apiKey']}")
    assert own.status_code == 404  # authenticated: just no such report


def test_create_partner_refuses_a_duplicate_name(db):
    run("create_partner", "acme")
    with pytest.raises(CommandError, match="already exists"):
        run("create_partner", "acme")
    assert Partner.objects.count() == 1


def test_seed_demo_loads_every_role_and_every_state_with_an_intact_chain(db, settings):
    settings.NCII_INDEX_REFRESH_SECONDS = 1.0  # as `make run` has it
    out = run("seed_demo", "--allow-nonlocal")
    assert "demo-password-2026" in out and "photoshare_mod" in out
    users = get_user_model().objects
    for role in ROLE_PERMISSIONS:
        assert users.filter(groups__name=role).exists(), role
    assert set(ReviewItem.objects.values_list("state", flat=True)) == set(ReviewState.values)
    assert audit_chain_verify()[1] is None
    assert "already loaded" in run("seed_demo", "--allow-nonlocal")


def test_demo_moderator_can_log_in_and_is_asked_to_set_up_two_factor(db):
    run("seed_demo", "--allow-nonlocal")
    response = Client().post(
        "/accounts/login/", {"username": "moderator", "password": "demo-password-2026"}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/setup/")
    assert "Set up two-factor sign-in" in response.content.decode()


def test_roles_carry_their_permissions(db):
    user_model = get_user_model()
    senior = user_model.objects.create_user("s")
    senior.groups.add(Group.objects.get(name="senior_moderator"))
    senior = user_model.objects.get(pk=senior.pk)
    assert senior.has_perms(ROLE_PERMISSIONS["senior_moderator"])
    assert not senior.has_perm("cases.work_case")


def test_openapi_schema_is_valid_and_complete(db):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in ["/api/v1/matches", "/api/v1/cases", "/v1/FetchHashes"]:
        assert path in schema
