"""Page-number pagination with a caller-chosen page size, capped so no request reads a cohort."""

from __future__ import annotations

import functools

from rest_framework import pagination

from patients.paging import CountWithPagePaginator, KnownCountPaginator

#: The column a page's rows carry the list's count in.
_COUNT_COLUMN = "_list_count"


class PageNumberPagination(pagination.PageNumberPagination):
    """A view whose list has a cheaper count than `COUNT(*)` of its rows gives it through
    ``known_count()`` (an int, or None when it has none for this request) and, where a page's
    rows can carry it, ``known_count_column()`` (an expression, or None)."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default 50, at most 200)."
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        column = view.known_count_column() if hasattr(view, "known_count_column") else None
        if column is not None:
            # The rows carry the kept count: one statement for the page and its count.
            queryset = queryset.annotate(**{_COUNT_COLUMN: column})
            self.django_paginator_class = functools.partial(
                CountWithPagePaginator,
                count_column=_COUNT_COLUMN,
                count_alone=view.known_count,
            )
        else:
            known = view.known_count() if hasattr(view, "known_count") else None
            if known is not None:
                # Per instance: DRF makes one pagination object per view, so per request.
                self.django_paginator_class = functools.partial(KnownCountPaginator, count=known)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        properties["count"]["description"] = "How many rows match, over all pages."
        properties["next"]["description"] = "The next page's URL; null on the last page."
        properties["previous"]["description"] = "The previous page's URL; null on the first."
        properties["results"]["description"] = "The rows of this page."
        return described
