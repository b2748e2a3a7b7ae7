"""Chart endpoints under /api/v1/: PNG and SVG of an infant's charts and of the cohort charts."""

urlpatterns: list = []
