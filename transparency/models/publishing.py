"""Publications of an indicator's period and the corrections made after them."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from transparency.models.base import timestamp_field


class Publication(SQLModel, table=True):
    """The walidata's publication of one indicator and period, pointing at one upload."""

    __tablename__ = "publication"

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    upload_id: int = Field(foreign_key="upload.id")
    published_by_id: int = Field(foreign_key="user_account.id")
    published_at: datetime = timestamp_field()
    is_current: bool = True


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
