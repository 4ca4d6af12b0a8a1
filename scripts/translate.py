"""Fill the Indonesian catalogue from ``translations_id.py`` and report what is missing.

Run: ``python scripts/translate.py`` after ``pybabel extract`` / ``update``.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
from translations_id import ID  # noqa: E402

PO = Path(__file__).resolve().parent.parent / "transparency/translations/id/LC_MESSAGES/messages.po"


def main() -> int:
    """Write every known translation into the catalogue; list the missing ones."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if message.id in ID:
            message.string = ID[message.id]
            message.flags.discard("fuzzy")
        elif not message.string or "fuzzy" in message.flags:
            missing.append(message.id)  # a fuzzy guess is not a translation
    with PO.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)
    for msgid in missing:
        print("missing:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
