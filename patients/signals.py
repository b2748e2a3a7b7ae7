"""Signal handlers."""

from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from patients.models import Visit
from patients.services.records import record_voided


@receiver(post_migrate)
def sync_reference_data(sender, **kwargs) -> None:
    # Role groups need the permissions the auth app creates after migrate; the shipped regimens are
    # code, so every deployment gets the versions its code ships, and so is the bundled Denver II table.
    if getattr(sender, "name", None) != "patients":
        return
    from patients.services.development import ensure_bundled_norm_table
    from patients.services.regimens import sync_shipped_regimens
    from patients.services.roles import sync_role_groups

    sync_role_groups()
    sync_shipped_regimens()
    ensure_bundled_norm_table()


@receiver(post_save, sender=Visit)
@receiver(record_voided, sender=Visit)
def replan_after_visit_change(sender, instance: Visit, raw: bool = False, **kwargs) -> None:
    # Booked, moved or cancelled, by a service, the admin or the API: the guardians' reminders
    # follow once the change commits. Fixture loading (raw) has no plan to follow yet.
    if raw:
        return
    from patients.services.reminders import replan_after_change

    replan_after_change(instance.infant)
