"""The apps import in one direction only (README, "How the parts fit"):
hub → moderation → cases → matching → partners | accounts → audit → ncii_site.
import-linter reads the order from pyproject.toml and fails on any upward import."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_app_imports_from_an_app_above_it(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out


def test_the_checker_fails_on_an_upward_import(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The contract is not vacuous: an audit module reaching up into moderation breaks it."""
    bad = ROOT / "audit" / "_upward_probe.py"
    bad.write_text("from moderation import models  # noqa: F401\n")
    try:
        monkeypatch.chdir(ROOT)
        status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        bad.unlink()
    assert status != 0
    assert "audit._upward_probe -> moderation.models" in capsys.readouterr().out
