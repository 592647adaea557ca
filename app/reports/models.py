"""The footprint report's figures, kept summed as applications move (app/reports/tally.py keeps them).

`FootprintStatement` holds what each counted application adds to the sums, so that when it moves, the
difference can be taken off and put on again; `FootprintTally` holds the sums, one row per department, year,
quarter, approved or not and data version: the report reads these few rows whatever the number of
applications.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class FootprintStatement(Model):
    __tablename__ = "footprint_statement"

    # No foreign key: when an application is deleted its row must still be read, to take its share off the sums.
    submission_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    approved: Mapped[bool] = mapped_column(Boolean)
    data_version: Mapped[str] = mapped_column(String(100))
    has_figures: Mapped[bool] = mapped_column(Boolean)
    energy_kwh: Mapped[float] = mapped_column(Float)
    co2e_kg: Mapped[float] = mapped_column(Float)


class FootprintTally(Model):
    __tablename__ = "footprint_tally"

    department: Mapped[str] = mapped_column(String(200), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    approved: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    data_version: Mapped[str] = mapped_column(String(100), primary_key=True)
    statements: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    energy_kwh: Mapped[float] = mapped_column(Float)
    co2e_kg: Mapped[float] = mapped_column(Float)
