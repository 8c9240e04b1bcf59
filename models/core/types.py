"""Column types shared by every table: UTC timestamps and enums stored as plain text."""

import enum
from collections.abc import Callable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlmodel import SQLModel

#: named constraints, so that migrations can alter them by name on SQLite and PostgreSQL alike
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: the largest id a record can have: ids are INTEGER columns, 32-bit signed on PostgreSQL (SQLite's are wider);
#: larger numbers are refused before any query
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime, the only form times take in the domain."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime stored as naive UTC, so SQLite and PostgreSQL read back the same instant.

    Naive datetimes are refused on the way in: a time without a zone is a bug waiting
    to shift by the organisation's UTC offset.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def text_enum(enum_cls: type[enum.Enum]) -> sa.Enum:
    """Store an enum by its value in a VARCHAR, without a native type or CHECK constraint.

    New members then need no table rebuild on SQLite; the domain layer validates values.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _as_written(context: str, label: str) -> str:
    return label


#: how a label reaches its reader, (enum name, English label) -> text: the web layer installs the
#: catalogues' translation (views/support/i18n.py); the domain itself knows no language but English
translate_label: Callable[[str, str], str] = _as_written


class Choice(str, enum.Enum):
    """An enum whose members carry the label shown to people beside the stored value (the code).

    `english` is the label as written here; `label` is that label in the reader's language. The code is
    what is stored, signed and exported; the label is only ever shown.
    """

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.english = label
        return member

    @property
    def label(self) -> str:
        return translate_label(type(self).__name__, self.english)

    def __str__(self) -> str:
        return self.value


def version_column() -> sa.Column:
    """A row version for optimistic locking: SQLAlchemy updates only `WHERE version = <loaded>`.

    Each table needs its own Column object, used both as the field's column and as the
    mapper's `version_id_col`, so a stale save fails instead of silently overwriting.
    """
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")
