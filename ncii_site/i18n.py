"""Which language a request is answered in, without ever storing a choice.

The public pages (``PUBLIC_PREFIXES``, under ``i18n_patterns`` in hub/urls.py) take it from
the URL: ``/es/cases/new/`` is Spanish, ``/cases/new/`` English. Everything else (the staff
pages, the APIs) follows the browser's ``Accept-Language``, so the hasher's call to the case
API is answered in the page's language. No language cookie is read or written: on a shared
device it would be a trace of the visit."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import translate_url
from django.utils import translation
from django.utils.translation import gettext_noop
from django.utils.translation.trans_real import parse_accept_lang_header

# The public pages' paths without a language prefix: "/" itself and everything under these.
PUBLIC_PREFIXES = ("/cases/", "/jsi18n/", "/transparency/")


def path_is_public(path: str) -> bool:
    """Whether ``path`` (with or without a language prefix) is one of the public pages."""
    language = translation.get_language_from_path(path)
    if language:
        path = path[len(language) + 1 :] or "/"
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


def accept_language(request: HttpRequest) -> str | None:
    """The first language in the request's Accept-Language that the hub serves, if any."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")[:400]):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, minus the cookie: public pages by URL prefix, the rest by Accept-Language."""

    def process_request(self, request: HttpRequest) -> None:
        if path_is_public(request.path_info) or translation.get_language_from_path(request.path_info):
            super().process_request(request)
            return
        translation.activate(accept_language(request) or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    bidi: bool
    current: bool


def language_links(request: HttpRequest) -> list[LanguageLink]:
    """The same page in every language (for the switcher), as GET addresses."""
    current = translation.get_language()
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(request.path, code)
        links.append(LanguageLink(code, name, url, translation.get_language_info(code)["bidi"], code == current))
    return links


def language_offer(request: HttpRequest) -> LanguageLink | None:
    """On the home page without a language prefix: the browser's preferred language, if the
    hub has it and it is not English (the page's own)."""
    if translation.get_language_from_path(request.path_info):
        return None
    wanted = accept_language(request)
    if not wanted or wanted == translation.get_language():
        return None
    return next((link for link in language_links(request) if link.code == wanted), None)


def language_context(request: HttpRequest) -> dict[str, Any]:
    """For base.html: the page's language and direction, whether it is a public page (quick
    exit, language switcher), and where the quick exit goes."""
    info = translation.get_language_info(translation.get_language())
    public = path_is_public(request.path_info)
    return {
        "page_language": translation.get_language(),
        "page_bidi": info["bidi"],
        "public_page": public,
        "language_links": language_links(request) if public else [],
        "quick_exit_url": settings.NCII_QUICK_EXIT_URL,
    }


# settings.NCII_HELP_TEXT's default, for the catalogues: the footer shows it translated.
gettext_noop("If you are in danger, call your local emergency number. These services give free, confidential support:")
