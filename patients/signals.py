"""Signal handlers."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


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
