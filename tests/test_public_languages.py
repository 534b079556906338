"""The victims' pages in the visitor's language: from the URL prefix, offered on "/" by
Accept-Language, switchable on every page, right to left for Arabic and Urdu; no cookie but
a session CSRF cookie; the case API's detail and the forms' errors translated."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern

from audit.services import Actor
from cases.services import HashInput, case_create
from ncii_site.i18n import path_is_public
from tests.factories import random_pdq

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/cases/new/", "/cases/check/", "/cases/withdraw/", "/transparency/"]


def html_attrs(body: str) -> dict[str, str]:
    tag = re.search(r"<html([^>]*)>", body).group(1)
    return dict(re.findall(r'(\w+)="([^"]*)"', tag))


@pytest.mark.parametrize("path", PUBLIC)
def test_a_prefix_gives_the_language_and_arabic_and_urdu_read_right_to_left(client, path):
    english = client.get(path)
    spanish = client.get("/es" + path)
    arabic = client.get("/ar" + path)
    urdu = client.get("/ur" + path)

    assert html_attrs(english.content.decode()) == {"lang": "en-gb", "dir": "ltr"}
    assert html_attrs(spanish.content.decode()) == {"lang": "es", "dir": "ltr"}
    assert html_attrs(arabic.content.decode()) == {"lang": "ar", "dir": "rtl"}
    assert html_attrs(urdu.content.decode()) == {"lang": "ur", "dir": "rtl"}
    assert "Salir de esta página" in spanish.content.decode()  # the quick exit, translated


def test_every_page_links_itself_in_every_language(client):
    body = client.get("/cases/check/").content.decode()

    for code, _ in settings.LANGUAGES:
        url = "/cases/check/" if code == settings.LANGUAGE_CODE else f"/{code}/cases/check/"
        assert f'href="{url}" lang="{code}"' in body


def test_home_offers_the_browsers_language_and_never_redirects(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="pl-PL,pl;q=0.9,en;q=0.5")

    assert response.status_code == 200
    assert html_attrs(response.content.decode())["lang"] == "en-gb"  # the page stays where it is
    offer = re.search(r'<p class="alert" lang="pl".*?</p>', response.content.decode(), re.S).group(0)
    assert 'href="/pl/"' in offer and "Przeczytaj tę stronę w swoim języku" in offer
    assert "language-offer" not in client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en").content.decode()
    assert "language-offer" not in client.get("/", HTTP_ACCEPT_LANGUAGE="xx-YY").content.decode()
    assert "language-offer" not in client.get("/es/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()


def test_the_public_pages_set_no_cookie_but_a_session_csrf_cookie():
    client = Client()
    cookies = {}
    for path in [*PUBLIC, "/ar/cases/new/", "/jsi18n/"]:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="ar")
        cookies.update({name: morsel for name, morsel in response.cookies.items()})
    gate = client.post("/es/cases/new/", {"age": "adult", "in_images": "on"})
    cookies.update(gate.cookies.items())

    assert set(cookies) == {settings.CSRF_COOKIE_NAME}  # no language cookie, no session
    csrf = cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["expires"] == "" and csrf["max-age"] == ""  # ends with the browser session


def test_the_forms_errors_are_in_the_pages_language(client):
    gate = client.post("/fr/cases/new/", {"in_images": "on"}).content.decode()
    check = client.post("/de/cases/check/", {"number": "NC-1", "pin": "12"}).content.decode()

    assert "Répondez à la question « Quel âge avez-vous ? »" in gate
    assert "Eine Fallnummer sieht so aus" in check and "Die PIN hat 8 Ziffern." in check


def test_counts_use_plurals(client):
    case, pin = case_create(
        hashes=[HashInput("ImagePDQ", random_pdq(), 90), HashInput("ImagePDQ", random_pdq(), 90)]
        + [HashInput("VideoMD5", "ab" * 16, None)],
        actor=Actor.public(),
    )
    english = client.post("/cases/check/", {"number": case.number, "pin": pin}).content.decode()
    polish = client.post("/pl/cases/check/", {"number": case.number, "pin": pin}).content.decode()

    assert "2 images and 1 video" in english
    assert "2 zdjęcia i 1 film" in polish


def test_the_case_api_answers_in_the_requested_language(client):
    body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 10}]}
    spanish = client.post("/api/v1/cases", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es")
    english = client.post("/api/v1/cases", body, content_type="application/json")
    denied = client.post(
        "/api/v1/cases/status",
        {"caseNumber": "NC-0000-0000-0000", "pin": "12345678"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ar",
    )

    assert spanish.status_code == english.status_code == 400
    assert "La calidad 10 está por debajo de 50" in spanish.json()["detail"]
    assert "Quality 10 is below 50" in english.json()["detail"]
    assert denied.status_code == 403 and denied.json()["detail"] == "لا توجد حالة تطابق رقم الحالة والرمز السري هذين."
    assert not spanish.cookies and not denied.cookies


def test_the_javascript_catalogue_is_served_per_language(client):
    arabic = client.get("/ar/jsi18n/")

    assert arabic.status_code == 200 and arabic["Content-Type"].startswith("text/javascript")
    assert "pluralidx" in arabic.content.decode() and "n==0 ? 0" in arabic.content.decode()  # six Arabic forms


def test_every_language_prefixed_route_is_a_public_path():
    resolver = get_resolver()
    prefixed = [
        p for p in resolver.url_patterns if isinstance(p, URLResolver) and isinstance(p.pattern, LocalePrefixPattern)
    ]
    assert prefixed
    for pattern in prefixed[0].url_patterns:
        assert path_is_public("/" + str(pattern.pattern)), pattern.pattern
    assert not path_is_public("/dashboard/") and not path_is_public("/api/v1/cases")
