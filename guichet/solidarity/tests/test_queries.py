"""Every list page of the portal costs at most 10 SQL statements, with 1 row or 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.catalogue.tests.factories import SessionFactory
from guichet.solidarity.models import BeneficiaryKind
from guichet.solidarity.tests.factories import (
    BeneficiaryFactory,
    EventDetailsFactory,
    MembershipFactory,
    VenueFactory,
)

MAX_STATEMENTS = 10


@pytest.fixture(params=[1, 200], ids=["1-row", "200-rows"])
def rows(request):
    return request.param


def test_mes_participants(referent_client, structure, rows, django_assert_max_num_queries):
    hosts = BeneficiaryFactory.create_batch(rows, structure=structure, phone="+33612345678")
    BeneficiaryFactory(structure=structure, kind=BeneficiaryKind.GUEST, guest_of=hosts[0])
    url = reverse("solidarity:beneficiary_list")
    for query in ({}, {"q": "exemple 06"}, {"page": "2"}):
        with django_assert_max_num_queries(MAX_STATEMENTS):
            assert referent_client.get(url, query).status_code == 200


def test_ma_structure_and_its_referents(
    referent_client, structure, rows, django_assert_max_num_queries
):
    MembershipFactory.create_batch(rows, structure=structure)
    with django_assert_max_num_queries(MAX_STATEMENTS):
        page = referent_client.get(reverse("solidarity:structure_detail"))
    assert page.content.decode().count('class="member"') == rows + 2


def test_the_participant_form_and_its_hosts(
    referent_client, structure, rows, django_assert_max_num_queries
):
    BeneficiaryFactory.create_batch(rows, structure=structure)
    with django_assert_max_num_queries(MAX_STATEMENTS):
        page = referent_client.get(reverse("solidarity:beneficiary_create"))
    hosts = page.content.decode().split('name="guest_of"')[1].split("</select>")[0]
    assert hosts.count("<option") == rows + 1  # and "---------"


def test_the_events_catalogue(referent_client, structure, rows, django_assert_max_num_queries):
    venue = VenueFactory(territory=structure.territory)
    for _ in range(rows):
        details = EventDetailsFactory(venue=venue, activity__location=venue.places.first())
        SessionFactory(activity=details.activity)
    url = reverse("solidarity:events")
    for query in (
        {},
        {"section": "all"},
        {"section": "new", "page": "2"},
        {"q": "spectacle", "horaire": "soir", "du": "2026-01-01", "ville": "Exempleville"},
    ):
        with django_assert_max_num_queries(MAX_STATEMENTS):
            assert referent_client.get(url, query).status_code == 200


def test_an_event_sheet(referent_client, rows, django_assert_max_num_queries):
    details = EventDetailsFactory()
    SessionFactory.create_batch(rows, activity=details.activity)
    with django_assert_max_num_queries(MAX_STATEMENTS):
        page = referent_client.get(reverse("solidarity:event_detail", args=[details.activity_id]))
    assert page.content.decode().count('data-label="Horaire"') == rows


def test_the_account_and_its_structure_are_read_in_one_statement(referent_client, structure):
    """Every portal page needs the référent's membership, structure and département: they are
    read with the account (accounts.backends.account_page_relation_register)."""
    with CaptureQueriesContext(connection) as queries:
        page = referent_client.get(reverse("solidarity:home"))
    assert page.status_code == 200 and structure.name in page.content.decode()
    statements = [query["sql"] for query in queries]
    assert not any('FROM "solidarity_membership"' in sql for sql in statements), statements
    [account] = [sql for sql in statements if 'FROM "auth_user"' in sql]
    assert '"solidarity_membership"' in account and '"solidarity_territory"' in account
