"""Every string the app can show has its Bahasa Indonesia translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "transparency/translations/id/LC_MESSAGES/messages.po"
METHODS = [("transparency/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _source_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_source_string_is_translated_to_indonesian():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(_source_strings() - translated)
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing)


def test_placeholders_survive_translation():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id and message.string:
            for token in ("%(", "%s"):
                assert message.id.count(token) == message.string.count(token), message.id
