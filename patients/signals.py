"""Signal handlers."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def create_role_groups(sender, **kwargs) -> None:
    # Permissions are created by the auth app's own post_migrate handler; run once ours exist.
    if getattr(sender, "name", None) != "patients":
        return
    from patients.services.roles import sync_role_groups

    sync_role_groups()
