"""Page-number pagination with a caller-chosen page size, capped so no request reads a cohort."""

from __future__ import annotations

import functools

from rest_framework import pagination

from patients.paging import KnownCountPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """A view whose list has a cheaper count than `COUNT(*)` of its rows gives it through
    ``known_count()`` (an int, or None when it has none for this request)."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default 50, at most 200)."
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
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
