"""Uploads, the RT figures they bring, which upload is active, and saved import mappings."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from transparency.models.base import enum_column, timestamp_field

BigId = BigInteger().with_variant(Integer(), "sqlite")


class UploadStatus(StrEnum):
    """Where an upload is in its life: parsed, checked, committed or ended otherwise."""

    QUEUED = "queued"
    PARSING = "parsing"
    READY = "ready"  # dry run done, awaiting commit
    COMMITTED = "committed"
    NOOP = "noop"  # identical to the active version
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def running(self) -> bool:
        """A job may still end it (queued or parsing); any other status is final for jobs."""
        return self in RUNNING_STATUSES


RUNNING_STATUSES = (UploadStatus.QUEUED, UploadStatus.PARSING)


class Upload(SQLModel, table=True):
    """One file a department sent for one period: provenance of every figure it brings."""

    __tablename__ = "upload"
    __table_args__ = (
        CheckConstraint(
            "rows_read >= 0 AND rows_accepted >= 0 AND rows_rejected >= 0 AND rows_warned >= 0",
            name="ck_upload_counts",
        ),
        CheckConstraint("length(sha256) = 64", name="ck_upload_sha256"),
        Index("ix_upload_department_period", "department_id", "period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    period_id: int = Field(foreign_key="period.id")
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int = Field(default=0, ge=0)
    shape: str = Field(default="rt", max_length=12, description="'household' or 'rt'")
    mapping_id: int | None = Field(default=None, foreign_key="import_mapping.id")
    status: UploadStatus = Field(sa_column=enum_column(UploadStatus, "upload_status"))
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    error: str = Field(default="", max_length=2000)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
    committed_at: datetime | None = timestamp_field(nullable=True)
    supersedes_id: int | None = Field(default=None, foreign_key="upload.id")
    indicator_set: str = Field(default="", max_length=60)
    mapping_applied: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    problems: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = timestamp_field(nullable=True)


class UploadFile(SQLModel, table=True):
    """The uploaded bytes, only while the import is under way: deleted at commit, cancel
    or failure, and by ``purge_expired`` once past ``expires_at`` (a day after receipt).
    Only the sha256 stays, on the upload."""

    __tablename__ = "upload_file"

    upload_id: int = Field(foreign_key="upload.id", primary_key=True)
    content: bytes = Field(sa_type=LargeBinary)
    # The dry run's report workbook (the operator's rows with reasons), built by the job
    # in its child process; it holds personal data, so it lives and dies with the file.
    report: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    expires_at: datetime = timestamp_field()


class StagedFigure(SQLModel, table=True):
    """A figure the dry run computed, waiting for the commit (not a figure yet)."""

    __tablename__ = "staged_figure"
    __table_args__ = (CheckConstraint("value >= 0", name="ck_staged_value"),)

    upload_id: int = Field(foreign_key="upload.id", primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    area_id: int = Field(foreign_key="area.id", primary_key=True)
    value: int


class UploadIndicator(SQLModel, table=True):
    """The indicators an upload carries (an indicator set)."""

    __tablename__ = "upload_indicator"

    upload_id: int = Field(foreign_key="upload.id", primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)


class Figure(SQLModel, table=True):
    """One RT's value of one indicator for one period, as one upload delivered it.

    Every version is kept; the active one is the figure of the upload that
    ``ActiveUpload`` names for its indicator and period.
    """

    __tablename__ = "figure"
    __table_args__ = (
        CheckConstraint("value >= 0", name="ck_figure_value"),
        UniqueConstraint("upload_id", "indicator_id", "area_id", name="uq_figure_upload_cell"),
        # Covers an RT's figures of every period (its home page reads only the index).
        Index(
            "ix_figure_area_cell",
            "area_id",
            "indicator_id",
            "period_id",
            "upload_id",
            "value",
            "kelurahan_id",
        ),
        Index("ix_figure_indicator_period", "indicator_id", "period_id"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    indicator_id: int = Field(foreign_key="indicator.id")
    period_id: int = Field(foreign_key="period.id")
    upload_id: int = Field(foreign_key="upload.id")
    value: int
    # The RT's kelurahan (fixed by its code): what an upload covers, and in force by.
    kelurahan_id: int = Field(foreign_key="area.id")


class ActiveUpload(SQLModel, table=True):
    """Which upload is in force for an indicator, period and kelurahan: one at a time, by
    key. An upload replaces figures only in the kelurahan it covers."""

    __tablename__ = "active_upload"

    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    kelurahan_id: int = Field(foreign_key="area.id", primary_key=True)
    upload_id: int = Field(foreign_key="upload.id", index=True)
    activated_at: datetime = timestamp_field()
    activated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ImportMapping(SQLModel, table=True):
    """A department's saved reading of its own workbook: sheet, header row, columns, values."""

    __tablename__ = "import_mapping"
    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_mapping_name"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    name: str = Field(max_length=120)
    definition: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
