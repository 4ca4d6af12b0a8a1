"""Publications of an indicator's period and the corrections made after them."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from transparency.models.base import timestamp_field


class Publication(SQLModel, table=True):
    """The walidata's publication of one indicator and period, pointing at one upload."""

    __tablename__ = "publication"
    __table_args__ = (Index("ix_publication_current", "indicator_id", "period_id", "is_current"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    upload_id: int = Field(foreign_key="upload.id")
    published_by_id: int = Field(foreign_key="user_account.id")
    published_at: datetime = timestamp_field()
    is_current: bool = True
    # The upload in force in each kelurahan when published ({kelurahan id: upload id}): an
    # upload covers kelurahan, so a version is these pairs. None for a publication made
    # before coverage (migration 0009), when its one upload was in force everywhere.
    sources: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Correction(SQLModel, table=True):
    """A change after publication, with the reason shown publicly."""

    __tablename__ = "correction"
    __table_args__ = (CheckConstraint("length(reason) > 0", name="ck_correction_reason"),)

    id: int | None = Field(default=None, primary_key=True)
    publication_id: int = Field(foreign_key="publication.id", index=True)
    from_upload_id: int = Field(foreign_key="upload.id")
    to_upload_id: int = Field(foreign_key="upload.id")
    reason: str = Field(max_length=2000)
    corrected_by_id: int = Field(foreign_key="user_account.id")
    corrected_at: datetime = timestamp_field()


class PublishedFigure(SQLModel, table=True):
    """One area's count as a publication shows it, after disclosure control.

    Written once when the walidata publishes (``services/publishing``), for every area of
    the tree with data: RTs and the sums above them. ``value`` is NULL where the count is
    hidden; ``rts_missing`` counts the RTs below without data. Public pages read only this.
    """

    __tablename__ = "published_figure"
    # The key (publication, area) serves every read: an area's counts in given
    # publications, a publication's areas of a level. No second index to slow the insert.
    # On SQLite the rows live in the key's B-tree (WITHOUT ROWID): a publication's rows are
    # stored together, which is how they are read.
    __table_args__ = (
        CheckConstraint("value IS NULL OR value >= 0", name="ck_published_value"),
        {"sqlite_with_rowid": False},
    )

    publication_id: int = Field(foreign_key="publication.id", primary_key=True)
    area_id: int = Field(foreign_key="area.id", primary_key=True)
    value: int | None = None
    households: int = 0
    rts_missing: int = 0
