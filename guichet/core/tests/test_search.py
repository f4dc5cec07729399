"""Accent-blind search: one normalised column per model, the same on SQLite and PostgreSQL."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.tests.factories import ReservationFactory
from guichet.catalogue.models import Activity, Category, Location
from guichet.catalogue.tests.factories import (
    ActivityFactory,
    CategoryFactory,
    LocationFactory,
    SessionFactory,
)
from guichet.core.search import search_filter, search_normalise
from guichet.notifications.tests.factories import OutgoingMessageFactory

PAQUES = 'Activités manuelles : "Thème de Pâques"'


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (PAQUES, "activites manuelles theme de paques"),
        ("ÉLODIE", "elodie"),
        ("  Jean-Pierre   L'Œillet ", "jean pierre l oeillet"),
        ("camille@example.org", "camille example org"),
        ("Straße\x00<b>ç</b>", "strasse b c b"),
        ("", ""),
        ("!? …", ""),
    ],
)
def test_search_normalise(text, normalised):
    assert search_normalise(text) == normalised


@pytest.mark.django_db
class TestSearchFilter:
    @pytest.fixture
    def activities(self):
        return {
            "paques": ActivityFactory(name=PAQUES),
            "nichoirs": ActivityFactory(name='Atelier : "Fabrication de nichoirs à oiseaux"'),
            "serres": ActivityFactory(name="Visite guidée des serres"),
        }

    def found(self, query, model=Activity) -> set[str]:
        return set(search_filter(model.objects.all(), query).values_list("name", flat=True))

    def test_accents_and_case_are_ignored(self, activities):
        assert self.found("paques") == {PAQUES}
        assert self.found("PÂQUES") == {PAQUES}
        assert self.found("guidee") == {activities["serres"].name}

    def test_every_word_must_match(self, activities):
        assert self.found("atelier oiseaux") == {activities["nichoirs"].name}
        assert self.found("oiseaux  serres") == set()
        assert self.found("fabrication, de. NICHOIRS!") == {activities["nichoirs"].name}

    def test_an_empty_query_filters_nothing(self, activities):
        assert len(self.found("")) == len(self.found(" ?! ")) == 3

    def test_a_person_in_capitals_finds_the_lower_case_row(self):
        ReservationFactory(first_name="elodie", last_name="Dupont")
        ReservationFactory(first_name="Élodie", last_name="Bernard")
        ReservationFactory(first_name="Hugo", last_name="Leroy")
        found = search_filter(Reservation.objects.all(), "ÉLODIE")
        assert sorted(found.values_list("last_name", flat=True)) == ["Bernard", "Dupont"]

    def test_the_column_follows_a_partial_save(self):
        reservation = ReservationFactory(first_name="Hugo")
        reservation.first_name = "Zoé"
        reservation.save(update_fields=["first_name"])
        assert search_filter(Reservation.objects.all(), "zoe").get() == reservation

    def test_the_migration_fills_existing_rows(self):
        location = LocationFactory(name="Serres de l'Étang", address="1 rue de la Forêt")
        reservation = ReservationFactory(city="Orléans")
        category = CategoryFactory(name="Écoles")
        for model in (Location, Reservation, Category):
            model.objects.update(search_text="")
        for module in (
            "guichet.catalogue.migrations.0002_search_text",
            "guichet.bookings.migrations.0004_reservation_search_text",
        ):
            importlib.import_module(module).fill(apps, None)
        assert search_filter(Location.objects.all(), "etang foret").get() == location
        assert search_filter(Reservation.objects.all(), "orleans").get() == reservation
        assert search_filter(Category.objects.all(), "ecoles").get() == category


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "make", "query"),
    [
        ("catalogue_activity", lambda: ActivityFactory(name=PAQUES), "paques"),
        ("catalogue_category", lambda: CategoryFactory(name="Écoles"), "ecoles"),
        ("catalogue_location", lambda: LocationFactory(address="Rue de l'Église"), "eglise"),
        ("catalogue_session", lambda: SessionFactory(activity__name=PAQUES), "theme paques"),
        ("bookings_reservation", lambda: ReservationFactory(first_name="Élodie"), "ELODIE"),
        ("bookings_reservation", lambda: ReservationFactory(city="Orléans"), "orleans"),
        ("bookings_reservation", lambda: ReservationFactory(email="zoe@example.org"), "zoe@ex"),
        (
            "notifications_outgoingmessage",
            lambda: OutgoingMessageFactory(reservation__last_name="Lefèvre"),
            "lefevre",
        ),
        (
            "notifications_outgoingmessage",
            lambda: OutgoingMessageFactory(reservation__session__activity__name=PAQUES),
            "paques",
        ),
    ],
)
def test_admin_search_boxes_ignore_accents(admin_client, url_name, make, query):
    wanted = make()
    make_other = {
        "catalogue_activity": ActivityFactory,
        "catalogue_category": CategoryFactory,
        "catalogue_location": LocationFactory,
        "catalogue_session": SessionFactory,
        "bookings_reservation": ReservationFactory,
        "notifications_outgoingmessage": OutgoingMessageFactory,
    }[url_name]
    make_other()
    response = admin_client.get(reverse(f"admin:{url_name}_changelist"), {"q": query})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


@pytest.mark.django_db
def test_reservation_search_still_finds_a_token_and_a_phone(admin_client):
    reservation = ReservationFactory(phone="+33320000000")
    ReservationFactory(phone="+33612345678")
    url = reverse("admin:bookings_reservation_changelist")
    for query in (reservation.token, "03 20 00 00 00"):
        assert list(admin_client.get(url, {"q": query}).context["cl"].result_list) == [reservation]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["x" * 5000, "\x00<script>", "a " * 500, "%_\\"])
def test_hostile_searches_answer(admin_client, query):
    ReservationFactory()
    # A NUL byte is refused before the view (guichet.core.middleware.refuse_nul_bytes).
    expected = 400 if "\x00" in query else 200
    for name in ("bookings_reservation", "catalogue_session", "catalogue_activity"):
        response = admin_client.get(reverse(f"admin:{name}_changelist"), {"q": query})
        assert response.status_code == expected
