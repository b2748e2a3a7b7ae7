"""URLs of the pages. Ids in URLs are the records' public UUIDs; the front door ("home") is
routed in tracker/urls.py."""

from django.urls import include, path

from patients.web import auth, cohort, portal, staff

app_name = "web"

urlpatterns = [
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("worklist/", staff.worklist, name="worklist"),
    path("infants/", staff.infant_list, name="infants"),
    path("infants/<uuid:infant_id>/", staff.infant_detail, name="infant"),
    path("alerts/<uuid:alert_id>/acknowledge/", staff.acknowledge, name="acknowledge-alert"),
    path("portal/", portal.portal_home, name="portal"),
    path("portal/children/<uuid:infant_id>/", portal.portal_child, name="child"),
    path(
        "portal/reminders/<uuid:message_id>/seen/",
        portal.acknowledge,
        name="acknowledge",
    ),
    path("portal/preferences/", portal.preferences, name="preferences"),
    path("portal/calendar/", portal.calendar, name="calendar"),
    path("portal/calendar/qr.svg", portal.calendar_qr, name="calendar-qr"),
    # -- log a visit --
    path("infants/<uuid:infant_id>/visits/", include("patients.web.visit_log")),
    # -- treatment --
    path("infants/<uuid:infant_id>/courses/", include("patients.web.treatment")),
    # -- cohort dashboard --
    path("cohort/", cohort.dashboard, name="cohort"),
    # -- account --
    path("", include("patients.web.account")),
]
