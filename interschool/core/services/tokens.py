"""Personal API tokens: created and revoked by their user, stored only as a hash, shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from interschool.core.models import ApiToken, User
from interschool.core.services.audit import Actor, audit_record

PREFIX = "ist"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns it with the full secret, which is never stored or shown again."""
    name = name.strip() or "API token"
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    raw = f"{PREFIX}_{key_id}_{secret}"
    token = ApiToken(user=user, name=name[:100], prefix=key_id, token_hash=_hash(raw))
    token.full_clean()
    token.save()
    audit_record(actor=actor, network=None, action="create", obj=token, changes={"name": [None, token.name]})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, network=None, action="revoke", obj=token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None. Constant-time comparison of the hash."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1], revoked_at=None).first()
    if token is None or not secrets.compare_digest(token.token_hash, _hash(raw.strip())):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Updated at most once a minute so that API traffic does not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
