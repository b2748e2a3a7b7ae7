from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "B12 infant follow-up"
admin.site.site_title = "B12 follow-up"
admin.site.index_title = "Clinical record"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("patients.api.urls")),
    path("", include("patients.urls")),
]
