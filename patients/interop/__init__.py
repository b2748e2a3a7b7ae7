"""Interoperability: the infant's record as a FHIR R4 Bundle, and terminology mappings."""
