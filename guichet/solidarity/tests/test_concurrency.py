"""Two responsables removing each other at the same instant: the structure keeps one. Their
changes run one at a time (the structure's row is locked), on PostgreSQL by row lock, on SQLite by
the database write lock."""

import pytest
from django.core.exceptions import ValidationError

from guichet.bookings.tests.test_concurrency import run_together
from guichet.core.db import with_retry
from guichet.solidarity.models import MemberRole, Membership
from guichet.solidarity.services import member_remove, member_update
from guichet.solidarity.tests.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db(transaction=True)


def remover(membership_id):
    def remove():
        try:
            with_retry(member_remove, membership=Membership.objects.get(pk=membership_id))
            return "removed"
        except ValidationError:
            return "refused"

    return remove


def demoter(membership_id):
    def demote():
        membership = Membership.objects.select_related("user").get(pk=membership_id)
        try:
            with_retry(
                member_update,
                membership=membership,
                role=MemberRole.REFERENT,
                first_name=membership.user.first_name,
                last_name=membership.user.last_name,
                phone="",
            )
            return "demoted"
        except ValidationError:
            return "refused"

    return demote


@pytest.mark.parametrize(
    ("change", "done"), [(remover, "removed"), (demoter, "demoted")], ids=["remove", "demote"]
)
def test_two_responsables_leaving_at_once_leave_one(change, done):
    structure = StructureFactory()
    first, second = MembershipFactory.create_batch(2, structure=structure, role=MemberRole.MANAGER)
    results = run_together([change(first.pk), change(second.pk)])
    assert sorted(results) == sorted([done, "refused"])
    left = Membership.objects.filter(
        structure=structure, role=MemberRole.MANAGER, user__is_active=True
    )
    assert left.count() == 1
