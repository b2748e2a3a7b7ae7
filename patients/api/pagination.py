"""Page-number pagination with a caller-chosen page size, capped so no request reads a cohort."""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default 50, at most 200)."
    max_page_size = 200

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        properties["count"]["description"] = "How many rows match, over all pages."
        properties["next"]["description"] = "The next page's URL; null on the last page."
        properties["previous"]["description"] = "The previous page's URL; null on the first."
        properties["results"]["description"] = "The rows of this page."
        return described
