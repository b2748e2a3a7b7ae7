"""Errors as the API answers them.

The services validate with Django's ``full_clean`` and raise Django's ValidationError naming the
field; DRF would answer that with a 500. Here it becomes a 400 whose body has the same shape as a
serializer's errors: ``{"field": ["message", ...]}``, with record-level errors under
``non_field_errors``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, views
from rest_framework.settings import api_settings


def validation_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def as_api_error(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(validation_detail(error))


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = as_api_error(exc)
    return views.exception_handler(exc, context)
