"""Views of the REST API, one module per subdomain: validate, scope, call a service, present."""
