"""Interoperability endpoints: the FHIR Bundle of an infant and the de-identified cohort export."""

urlpatterns: list = []
