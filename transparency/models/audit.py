"""The audit trail: who did what to which object, when (UTC) and with what outcome."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from transparency.models.base import timestamp_field


class AuditEvent(SQLModel, table=True):
    """One recorded event. Never holds a password, code, token or personal data."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_action_at", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field()
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_name: str = Field(default="", max_length=80)
    action: str = Field(max_length=60)
    object_type: str = Field(default="", max_length=40)
    object_id: str = Field(default="", max_length=80)
    outcome: str = Field(default="ok", max_length=20)
    remote_addr: str = Field(default="", max_length=64)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
