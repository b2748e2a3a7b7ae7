"""Every string a guardian can see has a Turkish translation, and the compiled catalogue is current.

The strings are collected the way `makemessages` collects them: Django's own `templatize` for the
templates, and the gettext calls of the Python modules behind the guardian's pages. A string added
to a guardian's page without a Turkish msgstr fails here, before a family sees English.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "tr" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")

# What a guardian sees: the layout, signing in, the portal, and the code that renders them.
GUARDIAN_TEMPLATES = [
    ROOT / "templates/web/base.html",
    ROOT / "templates/web/sign_in.html",
    ROOT / "templates/web/locked_out.html",
    ROOT / "templates/web/no_role.html",
    *sorted((ROOT / "templates/web").glob("portal*/**/*.html")),
]
GUARDIAN_MODULES = [ROOT / "patients/web/portal.py", ROOT / "patients/web/forms.py"]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}

# templatize turns {% translate %} into gettext('...') and a plural blocktranslate into
# ngettext(u'...', u'...', count); the arguments are Python string literals.
_CALL = re.compile(r"\b(n?gettext)\(((?:u?'(?:[^'\\]|\\.)*'\s*,?\s*){1,2})")
_LITERAL = re.compile(r"u?'((?:[^'\\]|\\.)*)'")


def _template_msgids(path: Path) -> set[str]:
    found = set()
    for _name, args in _CALL.findall(templatize(path.read_text(), origin=str(path))):
        literals = [ast.literal_eval(f"'{text}'") for text in _LITERAL.findall(args)]
        found.add(literals[0])
    return found


def _module_msgids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in GETTEXT_NAMES
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def guardian_msgids() -> set[str]:
    msgids: set[str] = set()
    for path in GUARDIAN_TEMPLATES:
        msgids |= _template_msgids(path)
    for path in GUARDIAN_MODULES:
        msgids |= _module_msgids(path)
    return msgids


def test_the_collection_finds_the_strings_it_should():
    # Guards the collector itself: an extraction that silently finds nothing would pass below.
    msgids = guardian_msgids()
    assert "My children" in msgids  # {% translate %} in a portal template
    assert "Please try again in %(minutes)s minute." in msgids  # a plural blocktranslate
    assert "Dose missed: please contact the clinic" in msgids  # gettext_lazy in portal.py
    assert "Give both the start and the end of the quiet hours." in msgids  # forms.py
    assert len(msgids) > 60


@pytest.mark.parametrize("msgid", sorted(guardian_msgids()))
def test_guardian_string_has_a_turkish_translation(msgid):
    entry = polib.pofile(str(CATALOGUE)).find(msgid)
    assert entry is not None, f"{msgid!r} is missing from {CATALOGUE.name}: run makemessages"
    assert not entry.fuzzy, f"{msgid!r} is marked fuzzy"
    if entry.msgid_plural:
        assert all(text.strip() for text in entry.msgstr_plural.values()), msgid
    else:
        assert entry.msgstr.strip(), f"{msgid!r} has no Turkish translation"


def test_compiled_catalogue_matches_the_source():
    source = {(e.msgid, e.msgstr) for e in polib.pofile(str(CATALOGUE)).translated_entries()}
    compiled = {(e.msgid, e.msgstr) for e in polib.mofile(str(COMPILED))}
    assert source <= compiled, "django.mo is older than django.po: run compilemessages"
