"""One refusal base: every business-rule refusal is a DomainError with a code and a 4xx
status (or 503 where a guard fails closed while its store is down); APIs answer it as
{"error", "detail"}, pages as a message with the same status."""

import importlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from ncii_site.api import exception_handler
from ncii_site.errors import DomainError, NotFound, ReasonRequired
from ncii_site.middleware import DomainErrorMiddleware

SERVICE_MODULES = [
    "cases.services",
    "cases.pin_guard",
    "matching.signal_types",
    "matching.services",
    "matching.intake",
    "matching.images",
    "matching.exchange_selectors",
    "matching.exchange_services",
    "moderation.services",
    "moderation.wellbeing_services",
    "matching.degenerate",
    "partners.services",
]


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


def test_every_refusal_has_its_own_code_and_a_client_error_status() -> None:
    for name in SERVICE_MODULES:
        importlib.import_module(name)
    refusals = _subclasses(DomainError)
    assert len(refusals) >= 20
    for cls in refusals:
        assert 400 <= cls.status < 500 or cls.status == 503, cls  # 503: a guard failing closed
        assert cls.code and cls.code != DomainError.code, cls


def test_an_api_answers_a_refusal_in_the_one_error_shape_with_retry_after() -> None:
    response = exception_handler(DomainError("Wait.", code="too_many_attempts", status=429, retry_after=30), {})
    assert response is not None
    assert (response.status_code, response.data) == (429, {"error": "too_many_attempts", "detail": "Wait."})
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_a_page_shows_an_unhandled_refusal_as_a_message_and_not_found_as_404() -> None:
    middleware = DomainErrorMiddleware(lambda request: HttpResponse())
    request = RequestFactory().post("/dashboard/items/1/")
    request.user = AnonymousUser()
    page = middleware.process_exception(request, ReasonRequired("Give a reason."))
    assert page is not None and page.status_code == 400
    assert "Give a reason." in page.content.decode()
    with pytest.raises(Http404):
        middleware.process_exception(request, NotFound("No such item."))
    api = middleware.process_exception(RequestFactory().post("/api/v1/cases"), ReasonRequired("Give a reason."))
    assert api is not None and api.status_code == 400 and b'"reason_required"' in api.content
