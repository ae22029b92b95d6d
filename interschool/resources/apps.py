from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "interschool.resources"
    label = "resources"
    verbose_name = _("Shared resources")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from interschool.resources import notification_kinds, record  # noqa: F401  (registers kinds, source)
