"""Webhooks on the real services (issue 14): a victim's withdrawal, committed on PostgreSQL,
reaches a subscribed partner's endpoint through Redis and a worker process of its own, signed."""

import json

import pytest

from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from partners.services import partner_create
from partners.webhook_models import WebhookDelivery
from partners.webhook_signing import signature_verify
from partners.webhooks import webhook_endpoint_create
from tests.factories import random_pdq
from tests.integration.test_worker import wait_for, worker  # noqa: F401  (the worker fixture)
from tests.webhook_receiver import receiver_start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = receiver_start()
    yield server
    server.close()


@pytest.fixture
def loopback_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    """The worker process reads these from its environment; this process from settings."""
    monkeypatch.setenv("NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK", "1")
    monkeypatch.setenv("NCII_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK, settings.NCII_WEBHOOK_ALLOWED_NETWORKS = True, ["127.0.0.0/8"]


def test_a_withdrawal_reaches_the_endpoint_through_the_worker(loopback_env, receiver, worker):  # noqa: F811
    partner, _ = partner_create(name="hooked", actor=Actor.system("test"))
    new = webhook_endpoint_create(partner=partner, url=receiver.url, events=["hash.withdrawn"], actor=Actor.system())
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    case_withdraw(case_id=case.pk, actor=Actor.public())
    [got] = receiver.wait_for(1, timeout=60)
    assert json.loads(got.body)["data"]["hashValue"] == value
    assert signature_verify(
        header=got.headers["X-NCII-Signature"],
        timestamp=got.headers["X-NCII-Timestamp"],
        body=got.body,
        key_id=new.secret.key_id,
        secret=new.plaintext,
    )
    wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 1)
