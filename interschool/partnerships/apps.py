from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    name = "interschool.partnerships"
    label = "partnerships"
    verbose_name = _("Partnerships")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from interschool.partnerships import notification_kinds, record  # noqa: F401  (registers kinds, sources)
