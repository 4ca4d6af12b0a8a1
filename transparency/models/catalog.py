"""The catalogue: departments, indicators with Satu Data metadata, and periods."""

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from transparency.models.base import enum_column


class Frequency(StrEnum):
    """How often an indicator is produced; a period's code follows its frequency."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


def _frequency_column() -> Column:
    return enum_column(Frequency, "frequency")


class Department(SQLModel, table=True):
    """A producing department (perangkat daerah), e.g. Dinsos."""

    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)


class Indicator(SQLModel, table=True):
    """A count per RT per period, produced by one department."""

    __tablename__ = "indicator"
    __table_args__ = (CheckConstraint("suppression_k >= 1", name="ck_indicator_k"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True, index=True)
    name_id: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    definition_id: str = Field(default="", max_length=2000)
    definition_en: str = Field(default="", max_length=2000)
    unit: str = Field(max_length=40)
    department_id: int = Field(foreign_key="department.id", index=True)
    frequency: Frequency = Field(sa_column=_frequency_column())
    sensitive: bool = False
    sensitivity_note: str = Field(default="", max_length=200)
    suppression_k: int = 5
    source: str = Field(default="", max_length=300)
    per_household: bool = Field(default=False, description="a share of households makes sense")
    position: int = 0


class Period(SQLModel, table=True):
    """A reporting period: `2026-10` for a month, `2026-Q4`, or `2026`."""

    __tablename__ = "period"
    __table_args__ = (
        UniqueConstraint("frequency", "starts_on", name="uq_period_frequency_start"),
        CheckConstraint("ends_on >= starts_on", name="ck_period_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, unique=True, index=True)
    frequency: Frequency = Field(sa_column=_frequency_column())
    starts_on: date
    ends_on: date
