"""The shipped catalogues are complete: no untranslated or fuzzy message in any language, every
plural form filled, the compiled .mo files match the .po files, and ``makemessages`` finds no
string in the code that is missing from them."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import REQUIRE_INTEGRATION

LOCALE = Path(settings.BASE_DIR) / "locale"
DOMAINS = ("django", "djangojs")
SHIPPED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _dir(code: str) -> str:
    language, _, region = code.partition("-")
    return f"{language}_{region.upper()}" if region else language


def catalogue(code: str, domain: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / _dir(code) / "LC_MESSAGES" / f"{domain}.po"))


def test_at_least_ten_languages_with_arabic_and_urdu_right_to_left():
    from django.utils.translation import get_language_info

    assert len(SHIPPED) >= 10
    assert get_language_info("ar")["bidi"] and get_language_info("ur")["bidi"]


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_none_is_fuzzy(code, domain):
    po = catalogue(code, domain)
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    nplurals = int(po.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    for entry in po:
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == nplurals and all(entry.msgstr_plural.values()), entry.msgid
    assert "machine" in po.header.lower() and "review" in po.header.lower()  # says it awaits native review


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_is_the_po_file(code, domain):
    po = catalogue(code, domain)
    mo = polib.mofile(str(LOCALE / _dir(code) / "LC_MESSAGES" / f"{domain}.mo"))
    compiled = {(e.msgid, e.msgstr or tuple(sorted(e.msgstr_plural.items()))) for e in mo if e.msgid}
    source = {(e.msgid, e.msgstr or tuple(sorted(e.msgstr_plural.items()))) for e in po.translated_entries()}
    assert compiled == source, "run `make compilemessages`"


@pytest.fixture
def gettext_tools() -> None:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        if REQUIRE_INTEGRATION:
            pytest.fail("GNU gettext is not installed (apt-get install gettext)")
        pytest.skip("needs GNU gettext (apt-get install gettext)")


def test_makemessages_finds_no_string_missing_from_the_catalogues(gettext_tools, tmp_path, monkeypatch, settings):
    """makemessages over a copy of the code (so it cannot touch locale/) into a fresh catalogue:
    every message it finds is in every shipped catalogue, and they hold nothing the code no
    longer says."""
    source, out = tmp_path / "src", tmp_path / "out"
    skip = shutil.ignore_patterns(
        ".*", "__pycache__", "locale", "tests", "benchmarks", "staticfiles", "vendor", "*.sqlite3*"
    )
    shutil.copytree(settings.BASE_DIR, source, ignore=skip)
    settings.LOCALE_PATHS = [out]
    monkeypatch.chdir(source)
    for domain in DOMAINS:
        call_command("makemessages", locale=["xx"], domain=domain, no_location=True, verbosity=0)
    for domain in DOMAINS:
        found = {(e.msgid, e.msgid_plural) for e in polib.pofile(str(out / "xx/LC_MESSAGES" / f"{domain}.po"))}
        assert found, domain
        for code in SHIPPED:
            shipped = {(e.msgid, e.msgid_plural) for e in catalogue(code, domain) if not e.obsolete}
            assert found - shipped == set(), f"{code} {domain}: run `make messages` and translate"
            assert shipped - found == set(), f"{code} {domain}: stale messages; run `make messages`"
