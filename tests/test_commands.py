import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

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
