"""Paging shared by the API and the staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator


class KnownCountPaginator(Paginator):
    """Django's paginator told how many rows there are instead of counting them: for lists whose
    count the database keeps (`selectors.active_infant_count`)."""

    def __init__(self, object_list, per_page, *, count: int, **options) -> None:
        super().__init__(object_list, per_page, **options)
        self.count = count  # in place of the cached `count` property: the rows are not counted


class CountWithPagePaginator(Paginator):
    """Django's paginator for rows that carry the list's count as a column (``count_column``):
    the page and the count are read in one statement. A page with no row (past the end, or an
    empty list) cannot tell the count, which ``count_alone`` then reads; the page number is
    checked against the count as Django's paginator checks it."""

    def __init__(
        self, object_list, per_page, *, count_column: str, count_alone: Callable[[], int], **options
    ) -> None:
        super().__init__(object_list, per_page, **options)
        if self.orphans:
            raise ValueError("a page read before its count cannot fold orphans into it")
        self.count_column = count_column
        self.count_alone = count_alone

    @cached_property
    def count(self) -> int:
        """Asked before a page is read (DRF's "last" page): the count on its own."""
        return self.count_alone()

    def page(self, number):
        wanted = self._positive(number)  # refused as `validate_number` refuses it, unread
        bottom = (wanted - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows:  # in place of the cached `count` property
            self.count = getattr(rows[0], self.count_column)
        return self._get_page(rows, self.validate_number(wanted), self)

    def _positive(self, number) -> int:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if isinstance(number, float) and not number.is_integer():
            raise PageNotAnInteger(self.error_messages["invalid_page"])
        if wanted < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return wanted
