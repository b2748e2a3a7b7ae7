"""A token for API clients, in exchange for a username and password (throttled by django-axes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny

from patients.api.metadata import DescribedMetadata
from patients.api.serializers.base import DescribedFieldsMixin


class TokenRequestSerializer(DescribedFieldsMixin, AuthTokenSerializer):
    glossary = "tokenrequest"


class TokenSerializer(DescribedFieldsMixin, serializers.Serializer):
    glossary = "token"

    token = serializers.CharField(read_only=True)


class ObtainTokenView(ObtainAuthToken):
    """Send `Authorization: Token <token>` with every request; the token lasts until revoked."""

    serializer_class = TokenRequestSerializer
    parser_classes = (JSONParser,)
    permission_classes = (AllowAny,)
    authentication_classes = ()
    metadata_class = DescribedMetadata

    @extend_schema(
        request=TokenRequestSerializer,
        responses=TokenSerializer,
        summary="Exchange a username and password for an API token",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
