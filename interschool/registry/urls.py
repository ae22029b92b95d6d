"""URLs of the registry pages, under /n/<network_slug>/."""

from django.urls import path

from interschool.registry import views, wizard

urlpatterns = [
    path("organisations/", views.school_list, name="organisation_list"),
    path("organisations/<int:pk>/", views.school_detail, name="organisation_detail"),
    path("organisations/<int:pk>/profile/", views.school_edit, name="school_edit"),
    path("organisations/<int:pk>/charts/<int:indicator_pk>.svg", views.school_chart, name="school_chart"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/wizard/", wizard.wizard_upload, name="import_wizard"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/report.csv", views.import_report, name="import_report"),
    path("imports/<int:pk>/mapping/", wizard.wizard_mapping, name="import_mapping"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/revert/", views.import_revert_view, name="import_revert"),
    path("registry/settings/", views.registry_settings, name="registry_settings"),
]
