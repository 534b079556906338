"""The hub's own JavaScript (static/js/) is written one way: ES modules, loaded by the pages
with <script type="module"> and the response's CSP nonce, or imported by another module."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
TEMPLATES = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
SCRIPT_TAG = re.compile(r"<script\b[^>]*>")


def script_tags() -> list[str]:
    return [tag for path in TEMPLATES for tag in SCRIPT_TAG.findall(path.read_text())]


def test_every_page_loads_the_hubs_scripts_as_modules_with_the_nonce():
    ours = [tag for tag in script_tags() if "'js/" in tag]
    assert ours, "no page loads static/js/"
    for tag in ours:
        assert 'type="module"' in tag and 'nonce="{{ csp_nonce }}"' in tag, tag


def test_every_script_is_a_module_a_page_or_another_module_loads():
    tags = " ".join(script_tags())
    imported = {m for path in SCRIPTS for m in re.findall(r'from "\./([\w.-]+\.js)"', path.read_text())}
    imported |= {m for path in SCRIPTS for m in re.findall(r'new URL\("\./([\w.-]+\.js)"', path.read_text())}  # workers
    for path in SCRIPTS:
        source = path.read_text()
        assert "(function ()" not in source and '"use strict"' not in source, f"{path.name} is a classic script"
        assert f"'js/{path.name}'" in tags or path.name in imported, f"nothing loads {path.name}"
