"""Create and update endpoints: the serializer checks the shape, one service call does the write."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


class AnswerMixin:
    def answer(self, row: Model) -> Any:
        """The saved row as a read shows it: read back through the caller's scope, with every
        computed value (scores, flags, interpretations, planned doses)."""
        view: Any = self
        saved = view.get_queryset().get(pk=row.pk)
        return view.serializer_class(saved, context=view.get_serializer_context()).data


class CreateMixin(AnswerMixin):
    """POST to the list: ``perform_write`` calls the service."""

    def perform_write(self, data: dict[str, Any], request: Request) -> Model:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        given = view.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        row = self.perform_write(dict(given.validated_data), request)
        return Response(self.answer(row), status=status.HTTP_201_CREATED)


class UpdateMixin(AnswerMixin):
    """PATCH a record: ``perform_update`` calls the service with the fields that were given."""

    def perform_update(self, row: Model, data: dict[str, Any], request: Request) -> Model:
        raise NotImplementedError

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        row = view.get_object()
        given = view.get_serializer(row, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        saved = self.perform_update(row, dict(given.validated_data), request)
        return Response(self.answer(saved))
