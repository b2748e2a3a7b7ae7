"""Interoperability endpoints: the FHIR Bundle of an infant and the de-identified cohort export."""

from django.urls import path

from patients.api.interop import CohortExportView, InfantFhirView

urlpatterns = [
    path("infants/<uuid:pk>/fhir/", InfantFhirView.as_view(), name="api-infant-fhir"),
    path("exports/cohort.csv", CohortExportView.as_view(), name="api-cohort-export"),
]
