"""Long lists a page at a time, at a cost that does not grow with the table: sorts an index can serve and
counts that stop counting.

A page of 25 read through an index costs the same over 1,000 rows as over 100,000; counting every matching
row does not, so lists count up to COUNT_LIMIT and say "more than" beyond it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db

COUNT_LIMIT = 1000
# Pages a text search counts beyond the one shown: "more than 125" where a full count would not be flat.
SEARCH_PAGES_AHEAD = 4


def search_count_limit(page: int, per_page: int) -> int:
    """How far to count the matches of a text search (a substring of a title, a name): up to a few pages past
    the one shown. Such matches grow with the data, and finding each costs a row read: counting to COUNT_LIMIT
    would read ten thousand applications at 100,000 for a common word, where a filter on a column the index
    holds counts from the index alone."""
    return min(COUNT_LIMIT, per_page * (max(page, 1) + SEARCH_PAGES_AHEAD))


def order(column: Any, tie_breaker: Any, *, descending: bool, nullable: bool) -> tuple[Any, Any]:
    """ORDER BY `column` then `tie_breaker`, empty values last, in the form an index on the column serves:
    an ascending index read forwards gives ASC NULLS LAST and read backwards DESC NULLS FIRST, so a column
    that can be empty has an index of its own for DESC NULLS LAST (app.submissions.models._sort_indexes)."""
    if not descending:
        return column.asc().nulls_last(), tie_breaker.asc()
    return (column.desc().nulls_last() if nullable else column.desc()), tie_breaker.desc()


def capped_count(query: Select[Any], limit: int | None = None) -> tuple[int, bool]:
    """How many rows `query` matches, counted up to `limit` (COUNT_LIMIT), and whether there are more.

    The count keeps the list's order: with it, the database reads the first rows along the list's index and
    stops at the limit, rather than joining every matching row to count them."""
    limit = COUNT_LIMIT if limit is None else limit
    counted = db.session.scalar(select(func.count()).select_from(query.limit(limit + 1).subquery()))
    counted = counted or 0
    return min(counted, limit), counted > limit


def page_count(total: int, more: bool, per_page: int, page: int) -> int:
    """Pages to offer: those the count covers, and, past the count, always one after the current page."""
    pages = max(1, -(-total // per_page))
    return max(pages, page + 1) if more else pages
