"""The fa and vi catalogs are complete, compiled, and used."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from remarket.people.models import Contact

ROOT = Path(__file__).resolve().parent.parent
APPS = [ROOT / "remarket", ROOT / "example_project" / "shop"]
LANGUAGES = ["fa", "vi"]
CATALOGS = [app / "locale" / lang / "LC_MESSAGES" for app in APPS for lang in LANGUAGES]


def read_po(path: Path) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy) for every entry of a .po file.

    A plural entry stands by its first form, ``msgstr[0]``, and counts as untranslated
    ("") while any of its forms is empty.
    """
    entries: dict[str, tuple[str, bool]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        forms = [value for name, value in sorted(fields.items()) if name.startswith("msgstr[")]
        msgstr = (forms[0] if all(forms) else "") if forms else fields.get("msgstr", "")
        if fields.get("msgid"):
            entries[fields["msgid"]] = (msgstr, fuzzy)
    return entries


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: f"{p.parts[-4]}-{p.parts[-2]}")
def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    entries = read_po(catalog / "django.po")

    assert entries
    assert [m for m, (s, _) in entries.items() if not s] == []
    assert [m for m, (_, fuzzy) in entries.items() if fuzzy] == []


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: f"{p.parts[-4]}-{p.parts[-2]}")
def test_the_compiled_catalog_matches_the_source(catalog):
    with (catalog / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    for msgid, (msgstr, _) in read_po(catalog / "django.po").items():
        text = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        wanted = msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        # A plural entry is stored under (msgid, form); gettext() would not find it.
        plural = (text, 0) in compiled._catalog
        got = compiled._catalog[(text, 0)] if plural else compiled.gettext(text)
        assert got == wanted, f"stale .mo: run compilemessages ({msgid!r})"


@pytest.mark.skipif(
    not shutil.which("xgettext") and not os.environ.get("CI"),
    reason="xgettext (Debian package gettext) is not installed; CI installs it",
)
@pytest.mark.parametrize("app", APPS, ids=lambda p: p.name)
def test_no_translatable_string_is_missing_from_the_catalogs(app, tmp_path):
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--no-obsolete",
            "--add-location=file",
            *(f"-l{lang}" for lang in LANGUAGES),
        ],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )
    for lang in LANGUAGES:
        extracted = read_po(copy / "locale" / lang / "LC_MESSAGES" / "django.po")
        committed = read_po(app / "locale" / lang / "LC_MESSAGES" / "django.po")
        missing = sorted(set(extracted) - set(committed))
        assert missing == [], f"{app.name}/{lang}: run makemessages and translate {missing}"


@pytest.mark.parametrize(
    ("language", "contact", "basket"),
    [("fa", "مخاطب", "سبد خرید"), ("vi", "liên hệ", "Giỏ hàng")],
)
@pytest.mark.django_db
def test_translations_reach_models_and_pages(client, language, contact, basket):
    with translation.override(language):
        assert str(Contact._meta.verbose_name) == contact

    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert basket in page
