"""Shared column helpers for the tables: UTC timestamps and byte-ordered text."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Enum, String, TypeDecorator
from sqlmodel import Field

# Byte order on every backend, so that range predicates on area paths are exact
# (PostgreSQL would otherwise sort by the database locale, ignoring punctuation).
PathString = String(200).with_variant(String(200, collation="C"), "postgresql")


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def timestamp_field(nullable: bool = False):
    """A timezone-aware UTC timestamp column, defaulting to now unless nullable."""
    kwargs = {"sa_type": DateTime(timezone=True), "nullable": nullable}
    if not nullable:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def enum_column(enum_class: type, name: str) -> Column:
    """A non-null column storing the enum's values (not names), checked by the database."""
    return Column(
        Enum(
            enum_class,
            native_enum=False,
            length=12,
            name=name,
            create_constraint=True,
            values_callable=lambda members: [member.value for member in members],
        ),
        nullable=False,
    )


class LenientEnum(TypeDecorator):
    """Enum values stored as text; a value the enum does not know reads back as plain text
    instead of raising, so that access checks can deny it rather than crash."""

    impl = String(12)
    cache_ok = True

    def __init__(self, enum_class: type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        """Store the enum's value."""
        return None if value is None else str(getattr(value, "value", value))

    def process_result_value(self, value, dialect):
        """The enum member, or the raw text for an unknown value."""
        try:
            return None if value is None else self.enum_class(value)
        except ValueError:
            return value
