"""The words shown for codes: periods as months, times in WIB, one date style, labels."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from transparency import i18n


@pytest.mark.parametrize(
    ("code", "locale", "words"),
    [
        ("2026-10", "id", "Oktober 2026"),
        ("2026-10", "en", "October 2026"),
        ("2025-01", "id", "Januari 2025"),
        ("2026-Q4", "id", "Kuartal ke-4 2026"),
        ("2026-Q1", "en", "1st quarter 2026"),
        ("2026", "id", "2026"),
        ("2026-13", "id", "2026-13"),  # not a period: shown as it is
        ("kk_gamis", "en", "kk_gamis"),
        (None, "id", ""),
    ],
)
def test_a_period_code_is_written_as_a_month(code, locale, words):
    assert i18n.format_period(code, locale) == words


def test_a_period_object_is_written_by_its_code():
    assert i18n.format_period(SimpleNamespace(code="2026-09"), "id") == "September 2026"


@pytest.mark.parametrize(
    ("lang", "shown_moment", "shown_day"),
    [
        ("id", "5 Desember 2026 01.30 WIB", "5 Desember 2026"),
        ("en", "5 December 2026, 01:30 WIB", "5 December 2026"),
    ],
)
def test_a_utc_time_is_shown_in_jakarta_with_its_zone(app, lang, shown_moment, shown_day):
    late_evening_utc = datetime(2026, 12, 4, 18, 30)  # stored naive, in UTC
    with app.test_request_context(f"/?lang={lang}"):
        assert i18n.moment(late_evening_utc) == shown_moment
        assert i18n.moment(late_evening_utc.replace(tzinfo=UTC)) == shown_moment
        assert i18n.day(late_evening_utc) == shown_day  # already the 5th in Surabaya
        assert i18n.day(date(2026, 11, 3)) == "3 November 2026"  # the same in both
        assert i18n.day(None) == "" and i18n.moment(None) == ""


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("id", ("tersimpan", "Angka terbit dikoreksi", "ditolak", "balita")),
        ("en", ("saved", "Published figures corrected", "refused", "children under five")),
    ],
)
def test_statuses_actions_outcomes_and_units_are_words(app, lang, labels):
    with app.test_request_context(f"/?lang={lang}"):
        env = app.jinja_env
        shown = (
            env.filters["upload_status"]("committed"),
            env.filters["audit_action"]("publication.correct"),
            env.filters["audit_outcome"]("denied"),
            env.filters["unit"]("balita"),
        )
        assert shown == labels
        assert env.filters["audit_action"]("something.new") == "something.new"


def test_every_audit_action_the_code_records_has_words():
    """An action recorded anywhere in the package must be in i18n.AUDIT_ACTIONS."""
    import re
    from pathlib import Path

    package = Path(i18n.__file__).parent
    recorded = set()
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        recorded |= set(
            re.findall(r'(?:audit\.record|_audit_change)\(\s*\w+,\s*"([a-z_.]+)"', text)
        )
        for chosen in re.findall(
            r'audit\.record\(\s*\w+,\s*"([a-z_.]+)" if \w+ else "([a-z_.]+)"', text
        ):
            recorded |= set(chosen)
    assert recorded and recorded <= set(i18n.AUDIT_ACTIONS), recorded - set(i18n.AUDIT_ACTIONS)
