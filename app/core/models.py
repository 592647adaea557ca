"""Declarative base shared by every feature's models."""
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, DateTime, Dialect, MetaData, column, or_
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints make Alembic migrations deterministic and let errors name the rule that was broken.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(name: str, column_name: str, values: Iterable[str], *, nullable: bool = False) -> CheckConstraint:
    """A named CHECK that the column holds one of a label set's keys (NULL too when nullable), as SQLAlchemy
    renders it: the label set stays the one home of its values, and no SQL is built from strings here."""
    allowed: ColumnElement[bool] = column(column_name).in_([str(value) for value in values])
    if nullable:
        allowed = or_(column(column_name).is_(None), allowed)
    return CheckConstraint(allowed, name=name)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite hands back naive values, so they are re-labelled as UTC on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def migration_filter(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object for a database of `dialect`: indexes the models build on one database only
    (info={"only_on": name}, with ddl_if) are neither expected nor compared on the others, and an index marked
    info={"compare": False} is compared by name only, as the database rewrites its expression."""
    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        model = compare_to if reflected else obj
        info = getattr(model, "info", None) or {}
        if info.get("compare") is False:
            return False
        only_on = info.get("only_on")
        return only_on is None or only_on == dialect

    return include_object
