"""Loading the catalogue: departments, indicators and periods."""

import csv
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from transparency.models import Department, Frequency, Indicator, Period


def load_departments(session: Session, csv_path: Path) -> dict[str, Department]:
    """Create the departments of a CSV (code, name) that are missing; return all by code."""
    departments = {d.code: d for d in session.exec(select(Department))}
    with csv_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] not in departments:
                departments[row["code"]] = Department(code=row["code"], name=row["name"])
                session.add(departments[row["code"]])
    session.flush()
    return departments


def load_indicators(session: Session, csv_path: Path) -> dict[str, Indicator]:
    """Create the indicators of a CSV that are missing; return all by code."""
    departments = {d.code: d for d in session.exec(select(Department))}
    indicators = {i.code: i for i in session.exec(select(Indicator))}
    with csv_path.open(encoding="utf-8") as handle:
        for position, row in enumerate(csv.DictReader(handle)):
            if row["code"] in indicators:
                continue
            indicator = Indicator(
                code=row["code"],
                name_id=row["name_id"],
                name_en=row["name_en"],
                definition_id=row["definition_id"],
                definition_en=row["definition_en"],
                unit=row["unit"],
                department_id=departments[row["department"]].id,
                frequency=Frequency(row["frequency"]),
                sensitive=row["sensitive"] == "true",
                sensitivity_note=row["sensitivity_note"],
                suppression_k=int(row["suppression_k"]),
                per_household=row["per_household"] == "true",
                source=row["source"],
                position=position,
            )
            session.add(indicator)
            indicators[indicator.code] = indicator
    session.flush()
    return indicators


def month_period(year: int, month: int) -> Period:
    """A monthly period, e.g. ``2026-10`` from 1 to 31 October 2026."""
    next_first = date(year + month // 12, month % 12 + 1, 1)
    return Period(
        code=f"{year:04d}-{month:02d}",
        frequency=Frequency.MONTHLY,
        starts_on=date(year, month, 1),
        ends_on=date.fromordinal(next_first.toordinal() - 1),
    )


def ensure_months(session: Session, last_year: int, last_month: int, count: int) -> list[Period]:
    """The ``count`` monthly periods ending with the given month, created where missing."""
    existing = {p.code: p for p in session.exec(select(Period))}
    periods = []
    for back in range(count - 1, -1, -1):
        index = last_year * 12 + last_month - 1 - back
        period = month_period(index // 12, index % 12 + 1)
        period = existing.get(period.code) or period
        session.add(period)
        periods.append(period)
    session.flush()
    return periods
