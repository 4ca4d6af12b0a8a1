"""Areas (kota → kecamatan → kelurahan → RW → RT) and kelurahan name aliases."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from transparency.models.base import PathString, enum_column


class AreaLevel(StrEnum):
    """The levels of the area tree, from the city down to the RT."""

    KOTA = "kota"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    RW = "rw"
    RT = "rt"


class Area(SQLModel, table=True):
    """One node of the area tree; RTs carry the register's households and residents."""

    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("households IS NULL OR households >= 0", name="ck_area_households"),
        CheckConstraint("residents IS NULL OR residents >= 0", name="ck_area_residents"),
        CheckConstraint("(level = 'kota') = (parent_id IS NULL)", name="ck_area_root"),
        Index("ix_area_parent_name", "parent_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    level: AreaLevel = Field(sa_column=enum_column(AreaLevel, "area_level"))
    name: str = Field(max_length=120)
    parent_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    path: str = Field(sa_type=PathString, unique=True, index=True)
    households: int | None = None
    residents: int | None = None


class KelurahanAlias(SQLModel, table=True):
    """A name a spreadsheet may use for a kelurahan: old names and spelling variants."""

    __tablename__ = "kelurahan_alias"

    id: int | None = Field(default=None, primary_key=True)
    alias: str = Field(
        max_length=120, unique=True, description="normalised: upper case, single spaces"
    )
    area_id: int = Field(foreign_key="area.id", index=True)
    note: str = Field(default="", max_length=200)
