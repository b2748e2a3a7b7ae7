"""Serializers of the REST API, one module per subdomain.

Serializers validate the shape of input and present records; they hold no business logic. Writes
go through the services, which validate the whole row and raise field-level errors.
"""
