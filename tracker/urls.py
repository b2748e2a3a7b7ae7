from django.contrib import admin
from django.urls import include, path

from patients.web.home import home

admin.site.site_header = "B12 infant follow-up"
admin.site.site_title = "B12 follow-up"
admin.site.index_title = "Clinical record"

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("patients.api.urls")),
    path("", include("patients.urls")),
    path("", include("patients.web.urls")),
]
