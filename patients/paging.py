"""Paging shared by the API and the staff pages."""

from __future__ import annotations

from django.core.paginator import Paginator


class KnownCountPaginator(Paginator):
    """Django's paginator told how many rows there are instead of counting them: for lists whose
    count the database keeps (`selectors.active_infant_count`)."""

    def __init__(self, object_list, per_page, *, count: int, **options) -> None:
        super().__init__(object_list, per_page, **options)
        self.count = count  # in place of the cached `count` property: the rows are not counted
