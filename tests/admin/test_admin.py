"""Staff work in the admin within their clinic; nothing can be deleted there, only voided."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin

from patients import models as m
from patients.services.demo import load_demo


@pytest.fixture
def demo(db):
    load_demo(today=datetime.date(2026, 11, 21))
    return m.User.objects.get(username="staff")


def test_demo_staff_sees_both_case_report_infants(client, demo):
    client.force_login(demo)
    page = client.get("/admin/patients/infant/")
    assert page.status_code == 200
    assert [i.record_number for i in page.context["cl"].result_list] == ["S000-P2", "S000-P1"]


def test_staff_of_another_clinic_sees_none_of_them(client, demo, other_staff):
    client.force_login(other_staff)
    page = client.get("/admin/patients/infant/")
    assert page.status_code == 200 and list(page.context["cl"].result_list) == []
    infant = m.Infant.objects.get(record_number="S000-P1")
    response = client.get(f"/admin/patients/infant/{infant.pk}/change/", follow=True)
    assert infant.family_name not in response.content.decode()
    labs = client.get("/admin/patients/labresult/")
    assert list(labs.context["cl"].result_list) == []


def test_foreign_key_choices_are_scoped_to_the_clinic(client, demo, other_staff):
    client.force_login(other_staff)
    form = client.get("/admin/patients/treatmentcourse/add/").context["adminform"].form
    assert not form.fields["infant"].queryset.filter(record_number__startswith="S000").exists()


def test_every_admin_page_loads_for_staff_and_superuser(client, demo, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "root-password-1")
    for user in (demo, root):
        client.force_login(user)
        for model in admin.site._registry:
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            assert client.get(url).status_code in (200, 403), url


def test_nothing_can_be_deleted_in_the_admin(client, demo):
    client.force_login(demo)
    infant = m.Infant.objects.get(record_number="S000-P1")
    assert client.get(f"/admin/patients/infant/{infant.pk}/delete/").status_code == 403
    page = client.get("/admin/patients/infant/")
    assert "delete_selected" not in page.context["action_form"].fields["action"].choices.__str__()


def test_voiding_in_the_admin_asks_for_a_reason(client, demo):
    client.force_login(demo)
    growth = m.GrowthMeasurement.objects.first()
    url = "/admin/patients/growthmeasurement/"
    ask = client.post(url, {"action": "void_selected", "_selected_action": [str(growth.pk)]})
    assert ask.status_code == 200 and b"Reason (required)" in ask.content
    client.post(
        url,
        {
            "action": "void_selected",
            "_selected_action": [str(growth.pk)],
            "confirm_void": "1",
            "void_reason": "",
        },
    )
    growth.refresh_from_db()
    assert not growth.is_voided
    client.post(
        url,
        {
            "action": "void_selected",
            "_selected_action": [str(growth.pk)],
            "confirm_void": "1",
            "void_reason": "Scale not calibrated",
        },
    )
    growth.refresh_from_db()
    assert (growth.void_reason, growth.voided_by) == ("Scale not calibrated", demo)
    assert growth not in client.get(url).context["cl"].result_list
    assert growth in client.get(url + "?status=voided").context["cl"].result_list


def test_staff_acknowledge_an_alert_in_the_admin(client, demo):
    alert = m.Alert.objects.get(infant__record_number="S000-P2", code="potassium_missed")
    client.force_login(demo)
    page = client.get("/admin/patients/alert/")
    assert alert in page.context["cl"].result_list
    client.post(
        "/admin/patients/alert/",
        {"action": "acknowledge_selected", "_selected_action": [str(alert.pk)]},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == demo and alert.acknowledged_at is not None
    assert alert.resolved_at is None  # seen, but the rule still applies


def test_every_model_of_the_record_has_an_admin_page_or_lives_inline():
    from django.apps import apps

    registered = set(admin.site._registry)
    inline_only = {m.GrowthScore}  # computed values, shown under their measurement
    # Not of the record: the clinics' counts of active infants and each record's version, kept
    # by the database's triggers.
    derived = {m.InfantCountChange, m.InfantRecordVersion}
    missing = [
        model.__name__
        for model in apps.get_app_config("patients").get_models()
        if not model.__name__.startswith("Historical")
        and model not in registered | inline_only | derived
    ]
    assert missing == []
