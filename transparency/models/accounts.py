"""User accounts: role, area, department, password hash and session version."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from transparency.models.base import LenientEnum, timestamp_field


class Role(StrEnum):
    """The roles of PRODUCT.md; the public has no account."""

    WALIDATA = "walidata"
    OPERATOR = "operator"
    CAMAT = "camat"
    LURAH = "lurah"
    KETUA_RW = "ketua_rw"
    KETUA_RT = "ketua_rt"


class User(SQLModel, table=True):
    """A staff or RT account. ``session_version`` bumps to revoke every session."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("session_version >= 0", name="ck_user_session_version"),
        CheckConstraint(
            "role IN ('walidata', 'operator', 'camat', 'lurah', 'ketua_rw', 'ketua_rt')",
            name="role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    # Lenient: a role the code does not know (written past the CHECK) is denied, not a crash.
    role: Role = Field(sa_column=Column(LenientEnum(Role), nullable=False))
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    password_hash: str = Field(default="", max_length=255)
    must_change_password: bool = True
    activation_code_hash: str = Field(default="", max_length=255)
    activation_expires_at: datetime | None = timestamp_field(nullable=True)
    active: bool = True
    session_version: int = 0
    # The language the person chose (None: not chosen; the request or the default decides).
    locale: str | None = Field(default=None, max_length=8)
    is_demo: bool = False
    created_at: datetime = timestamp_field()
    last_login_at: datetime | None = timestamp_field(nullable=True)
