from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Infant follow-up"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from patients import signals  # noqa: F401  (connects the role-group sync after migrate)
