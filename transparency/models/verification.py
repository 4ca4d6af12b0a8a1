"""RT verification: a ketua RT confirms or disputes a figure; an official answers."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from transparency.models.base import enum_column, timestamp_field


class VerificationStatus(StrEnum):
    """What the RT head said of a figure, and what became of a dispute."""

    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    ACCEPTED = "accepted"  # dispute accepted: to be corrected in the next upload
    REJECTED = "rejected"  # dispute rejected, with a reason


class Verification(SQLModel, table=True):
    """The RT head's word on one indicator, period and upload for their RT."""

    __tablename__ = "verification"
    __table_args__ = (
        UniqueConstraint(
            "area_id", "indicator_id", "period_id", "upload_id", name="uq_verification_cell"
        ),
        CheckConstraint(
            "status <> 'disputed' OR length(note) > 0", name="ck_verification_dispute_note"
        ),
        CheckConstraint(
            "status NOT IN ('accepted', 'rejected') OR answered_at IS NOT NULL",
            name="ck_verification_answered",
        ),
        CheckConstraint(
            "status <> 'rejected' OR length(answer) > 0", name="ck_verification_reason"
        ),
        Index("ix_verification_status_indicator", "status", "indicator_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    period_id: int = Field(foreign_key="period.id")
    upload_id: int = Field(foreign_key="upload.id")
    status: VerificationStatus = Field(
        sa_column=enum_column(VerificationStatus, "verification_status")
    )
    note: str = Field(default="", max_length=2000)
    claimed_value: int | None = Field(default=None, ge=0)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
    answer: str = Field(default="", max_length=2000)
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    answered_at: datetime | None = timestamp_field(nullable=True)
