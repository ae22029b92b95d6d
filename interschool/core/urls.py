"""URLs of the core pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from interschool.core.forms import EmailAuthenticationForm
from interschool.core.views import account, pages

network_patterns = [
    path("", pages.dashboard, name="dashboard"),
    path("organisations/new/", pages.organisation_edit, name="organisation_create"),
    path("organisations/<int:pk>/edit/", pages.organisation_edit, name="organisation_edit"),
    path("members/", pages.member_list, name="member_list"),
    path("members/invite/", pages.member_invite, name="member_invite"),
    path("members/<int:pk>/", pages.member_edit, name="member_edit"),
    path("members/<int:pk>/active/", pages.member_set_active, name="member_set_active"),
    path("invitations/<int:pk>/revoke/", pages.invitation_revoke, name="invitation_revoke"),
    path("audit/", pages.audit_list, name="audit_list"),
    path("audit/export/", pages.audit_export, name="audit_export"),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("n/<slug:network_slug>/", include(network_patterns)),
    path("progress/<uuid:pk>/", pages.progress_detail, name="progress_detail"),
    path("progress/<uuid:pk>/download/", pages.progress_download, name="progress_download"),
    path("notifications/", account.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", account.notification_open, name="notification_open"),
    path("notifications/read-all/", account.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", account.notification_preferences, name="notification_preferences"),
    path("account/", account.account, name="account"),
    path("account/tokens/", account.token_list, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke, name="token_revoke"),
    path("language/", account.language_set, name="language_set"),
    path("invitation/<str:token>/", account.invitation_accept_view, name="invitation_accept"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]
