from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from patients.web.home import home


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Resolved per request: the hashed static name exists only once collectstatic has run.
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))


admin.site.site_header = "B12 infant follow-up"
admin.site.site_title = "B12 follow-up"
admin.site.index_title = "Clinical record"

urlpatterns = [
    path("", home, name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs).
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/v1/", include("patients.api.urls")),
    path("", include("patients.urls")),
    path("", include("patients.web.urls")),
]
