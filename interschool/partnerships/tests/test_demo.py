"""The demo network's partnerships: every stage of the lifecycle, two levels of maturity, idempotent."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from interschool.core.models import Membership, Network, Role, User
from interschool.core.services.demo import DEMO_SLUG, demo_ensure, demo_logins, demo_reset
from interschool.partnerships import access
from interschool.partnerships import vocabularies as v
from interschool.partnerships.demo import LEADER_EMAIL_PATTERN, demo_partnerships
from interschool.partnerships.models import (
    Assessment,
    Consent,
    Factor,
    Goal,
    Partnership,
    PartnershipMember,
    PartnershipPerson,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.record import suggestion_for
from interschool.partnerships.services.partnerships import leaders_of, pending_consents

pytestmark = pytest.mark.django_db

ROWS = (
    Partnership,
    PartnershipMember,
    PartnershipPerson,
    Consent,
    Goal,
    PlanActivity,
    PlanIndicator,
    Assessment,
    Factor,
)


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in ROWS}
    counts["users"] = User.objects.count()
    counts["memberships"] = Membership.objects.count()
    return counts


def _login(role: str) -> User:
    email = next(login.email for login in demo_logins() if login.role == role)
    return User.objects.get(email=email)


def test_demo_partnerships_show_the_lifecycle_and_are_created_once():
    network, _, created = demo_ensure()
    assert created
    today = timezone.localdate()
    partnerships = list(Partnership.objects.filter(network=network).prefetch_related("members__organisation"))
    by_state = defaultdict(list)
    for partnership in partnerships:
        by_state[partnership.state].append(partnership)
    assert Counter({state: len(items) for state, items in by_state.items()}) == Counter(
        {v.State.PROPOSED: 1, v.State.INVITED: 2, v.State.ACTIVE: 2, v.State.PAUSED: 1, v.State.ENDED: 1}
    )

    # The invited ones: one declined with its comment, one still waiting for the demo school leader.
    declined = Consent.objects.filter(partnership__network=network, decision=v.Decision.DECLINED)
    assert declined.count() == 1 and "examination" in declined.get().comment
    leader = _login(Role.SCHOOL_LEADER)
    can_act = []
    for partnership in by_state[v.State.INVITED]:
        partnership_access = access.partnership_get_for_user(leader, DEMO_SLUG, partnership.pk)
        can_act += [c for c in pending_consents(partnership) if partnership_access.can_consent(c.member)]
    assert len(can_act) == 1
    assert can_act[0].decision == v.Decision.PENDING
    assert can_act[0].member.organisation == Membership.objects.get(user=leader).organisation
    # Every member school of a partnership sent for consent has a leader who can answer.
    for partnership in partnerships:
        for member in partnership.members.all():
            if member.organisation.kind == "school":
                assert leaders_of(member.organisation), member.organisation.name

    # The two active ones are at different levels: low-frequency and a culture of collegiality.
    active = by_state[v.State.ACTIVE]
    assert sorted(suggestion_for(p, today).level for p in active) == [3, 5]
    for partnership in active:
        goals = list(partnership.goals.all())
        assert len({g.horizon for g in goals}) >= 2 and len({g.motive for g in goals}) >= 2
        done = partnership.activities.filter(status=v.ActivityStatus.DONE)
        assert done.values("kind").distinct().count() >= 3
        assert len({(a.starts_on.year, a.starts_on.month) for a in done}) >= 3
        assert all(a.starts_on < today and a.participants for a in done)
        assessments = list(partnership.assessments.all())
        assert assessments and all(a.assessed_on < today and a.evidence for a in assessments)
        assert all(a.suggested_level == suggestion_for(partnership, a.assessed_on).level for a in assessments)
        targets = PlanIndicator.objects.filter(goal__partnership=partnership).select_related("indicator")
        assert targets
        assert all(t.indicator.network_id == network.pk and t.target != t.baseline for t in targets)
        barriers = partnership.factors.filter(kind=v.FactorKind.BARRIER).exclude(mitigation="")
        assert barriers.exists() and partnership.factors.filter(kind=v.FactorKind.FACILITATOR).exists()
    collegial = next(p for p in active if suggestion_for(p, today).level == 5)
    assert [a.suggested_level for a in collegial.assessments.order_by("assessed_on")] == [3, 4]
    assert collegial.assessments.filter(files__isnull=False).exists()
    for state in (v.State.PAUSED, v.State.ENDED):
        assert by_state[state][0].state_note

    # The typology page has spread.
    for name, least in (("model", 7), ("lead_body", 4), ("initiative", 3), ("geography", 4), ("mode", 3)):
        assert len({getattr(p, name) for p in partnerships}) >= least, name
    for name in ("governance", "frequency"):
        assert len({getattr(p, name) for p in partnerships}) >= 5, name
    assert {m for p in partnerships for m in p.motives} == set(v.Motive.values)

    # Once only: the demo again, or the builder again, adds nothing.
    before = _counts()
    _, _, created_again = demo_ensure()
    assert not created_again
    assert demo_partnerships(network) == []
    assert _counts() == before

    # A reset removes the partnerships (which protect their members) and the extra leaders.
    demo_reset()
    assert not Network.objects.filter(slug=DEMO_SLUG).exists()
    assert not Partnership.objects.exists()
    assert not User.objects.filter(email__regex=LEADER_EMAIL_PATTERN).exists()
