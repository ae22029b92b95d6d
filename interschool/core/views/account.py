"""The user's own pages: inbox, notification preferences, profile and language, API tokens, invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core import access
from interschool.core.forms import AcceptInvitationForm, NotificationPreferencesForm, ProfileForm, TokenForm
from interschool.core.models import User
from interschool.core.notification_kinds import KINDS
from interschool.core.services import networks, notifications, tokens
from interschool.core.services.invitations import InvitationInvalid, invitation_accept, invitation_from_token
from interschool.core.views.common import AuthenticatedRequest, add_service_errors, paginate


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    show = request.GET.get("show", "all")
    items = notifications.inbox(user)
    if show == "unread":
        items = items.filter(read_at__isnull=True)
    return render(request, "core/notification_list.html", {"page": paginate(request, items), "show": show})


@login_required
@require_POST
def notification_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    notification = access.notification_get_for_user(request.user, pk)
    notifications.notification_mark_read(notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("notification_list")


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("notification_list")


@login_required
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    initial = {}
    for code in KINDS:
        pref = notifications.preference_for(user, code)
        initial[code] = {"in_app": pref.in_app, "email": pref.email, "digest": pref.digest}
    form = NotificationPreferencesForm(request.POST or None, initial_prefs=initial)
    if request.method == "POST" and form.is_valid():
        for code in KINDS:
            notifications.notification_preferences_set(
                user=user,
                kind=code,
                in_app=form.cleaned_data[f"{code}__in_app"],
                email=form.cleaned_data[f"{code}__email"],
                digest=form.cleaned_data[f"{code}__digest"],
            )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_preferences")
    return render(request, "core/notification_preferences.html", {"form": form})


@login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            networks.user_update(actor=user, user=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("account")
    return render(request, "core/account.html", {"form": form})


@login_required
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = tokens.api_token_create(actor=user, user=user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request,
        "core/token_list.html",
        {
            "form": form,
            "new_secret": new_secret,
            "tokens": user.api_tokens.all(),
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = access.api_token_get_for_user(request.user, pk)
    tokens.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("token_list")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: saves the choice on the user (if logged in) and in a cookie."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        code = ""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if isinstance(request.user, User) and request.user.is_authenticated:
        networks.user_update(actor=request.user, user=request.user, language=code)
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except InvitationInvalid as error:
        return render(request, "core/invitation_invalid.html", {"message": str(error)}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error("password1", error.messages)
        except InvitationInvalid as error:
            return render(request, "core/invitation_invalid.html", {"message": str(error)}, status=404)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("dashboard", invitation.network.slug)
    return render(request, "core/invitation_accept.html", {"invitation": invitation, "form": form})
