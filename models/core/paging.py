"""Paging and searching lists in the database: a page of rows with its count, and the text search every list uses."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select


@dataclass
class Page:
    """One page of a longer list: its items, which page it is (from 1), the page size and how many items there are in all."""

    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return _page_count(self.total, self.size)

    @property
    def first(self) -> int:
        """The position of the page's first item, counting from 1 (0 on an empty list)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _page_count(total: int, size: int) -> int:
    """How many pages `total` items fill; an empty list still has its one (empty) page."""
    return max(1, -(-total // size))


def _clamp(number: int, size: int, total: int) -> int:
    """A page number past the end shows the last page, not an empty one."""
    return min(max(1, number), _page_count(total, size))


def count_of(session: Session, query) -> int:
    """How many rows a query gives, counted by the database."""
    return session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()


def page_of(session: Session, query, number: int, size: int) -> Page:
    """Page `number` of an ordered query, in two queries: a count, then the page's rows with LIMIT and OFFSET."""
    total = count_of(session, query)
    number = _clamp(number, size, total)
    return Page(list(session.exec(query.limit(size).offset((number - 1) * size)).all()), number, size, total)


def page_of_list(items: list, number: int, size: int) -> Page:
    """Page `number` of a list already in memory."""
    number = _clamp(number, size, len(items))
    return Page(items[(number - 1) * size : number * size], number, size, len(items))


#: the longest search text the lists look for; the pages cut longer input, the API refuses it
MAX_SEARCH = 100


def text_contains(search: str, *columns):
    """A condition true where any of the columns contains `search`, ignoring case; % and _ are matched as themselves."""
    text = search.strip().lower()[:MAX_SEARCH]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def _where_equal(query, *pairs):
    """`query` narrowed to rows where each column equals its value; a value of None filters nothing."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query
