"""Every portal page answered with hostile input, as a signed-in responsable: NUL bytes, very long
values, markup, control characters and numbers out of range, in the path, the query string and
each posted field. An answer may be a refusal, never a server error."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.tokens import invitation_token_generator, user_uid
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.db import ServiceBusy
from guichet.public.tests.test_hostile_input import HOSTILE_RAW, HOSTILE_VALUES
from guichet.solidarity import views
from guichet.solidarity.models import Beneficiary
from guichet.solidarity.tests.booking_helpers import book, solidarity_session
from guichet.solidarity.tests.factories import (
    BeneficiaryFactory,
    EventDetailsFactory,
    TerritoryFactory,
)
from guichet.solidarity.tests.test_isolation import portal_patterns

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
MORE_VALUES = ["\u2028", "\x07", "%", "_", "1" * 300 + "@example.org", "+" * 40]


@pytest.fixture
def browser(responsable):
    client = Client(raise_request_exception=False)
    client.force_login(responsable.user, backend="guichet.accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def own(structure, referent):
    person = BeneficiaryFactory(structure=structure)
    referent.user.set_unusable_password()
    referent.user.save()
    details = _event()
    session = solidarity_session(timezone.now() + timedelta(days=10), activity=details.activity)
    booking = book(session, [person], now=timezone.now())
    return {
        "beneficiary_id": str(person.pk),
        "member_id": str(referent.pk),
        "uidb64": user_uid(referent.user),
        "token": invitation_token_generator.make_token(referent.user),
        "event_id": str(details.activity_id),
        "session_id": str(session.pk),
        "booking_id": str(booking.group.pk),
        "invitation_id": str(booking.outcomes[0].reservation.pk),
    }


def _event():
    details = EventDetailsFactory(
        venue__territory=TerritoryFactory(), published_at=timezone.now() - timedelta(days=1)
    )
    SessionFactory(activity=details.activity)
    return details


def test_no_hostile_path_or_query_gives_a_server_error(browser, own, responsable):
    errors = []
    for name, arguments in portal_patterns():
        route = str(reverse(f"solidarity:{name}", kwargs={a: own[a] for a in arguments}))
        urls = [route]
        for argument in arguments:
            for value in HOSTILE_RAW:
                urls.append(route.replace(own[argument], value, 1))
        for value in HOSTILE_RAW:
            urls += [f"{route}?q={value}", f"{route}?page={value}", f"{route}?next={value}"]
        for url in urls:
            for method in ("GET", "POST"):
                # Signed in again: "Se déconnecter" is one of the pages.
                browser.force_login(
                    responsable.user, backend="guichet.accounts.backends.IdentifierBackend"
                )
                response = browser.generic(method, url)
                if response.status_code >= 500:
                    errors.append(f"{method} {url[:120]}: {response.status_code}")
    assert errors == []


CATALOGUE_FIELDS = (
    "departement",
    "q",
    "genre",
    "public",
    "ville",
    "horaire",
    "du",
    "au",
    "section",
)


def test_no_hostile_catalogue_search_gives_a_server_error(browser, own):
    url = reverse("solidarity:events")
    errors = []
    for field in CATALOGUE_FIELDS:
        for value in HOSTILE_RAW + MORE_VALUES:
            response = browser.get(f"{url}?{field}={value}&page={value}")
            if response.status_code >= 500:
                errors.append(f"{field}={value[:40]!r}: {response.status_code}")
    assert errors == []


def test_no_hostile_form_field_gives_a_server_error(browser, own):
    person = {
        "kind": "participant",
        "civility": "",
        "last_name": "Exemple",
        "first_name": "Nadia",
        "address": "",
        "phone": "",
        "email": "",
        "guest_of": "",
    }
    member = {"first_name": "Jo", "last_name": "X", "email": "jo@example.org", "phone": ""}
    invitation = reverse(
        "solidarity:invitation", kwargs={"uidb64": own["uidb64"], "token": own["token"]}
    )
    forms = {
        reverse("solidarity:beneficiary_create"): person,
        reverse(
            "solidarity:beneficiary_update", kwargs={"beneficiary_id": own["beneficiary_id"]}
        ): person,
        reverse("solidarity:structure_update"): {"city": "Lille", "address": "", "postal_code": ""},
        reverse("solidarity:member_create"): member | {"role": "referent"},
        reverse("solidarity:member_update", kwargs={"member_id": own["member_id"]}): member
        | {"role": "referent"},
        reverse("solidarity:profile"): member,
        reverse("solidarity:password_change"): {"old_password": "x", "new_password1": "y"},
        reverse("solidarity:password_forgot"): {"identifier": "x"},
        reverse("solidarity:login"): {"identifier": "x", "password": "y", "remember": "on"},
        invitation: {"new_password1": "x", "new_password2": "x"},
    }
    errors = []
    for url, typed in forms.items():
        for field in typed:
            for value in HOSTILE_VALUES + MORE_VALUES:
                response = browser.post(url, typed | {field: value})
                if response.status_code >= 500:
                    errors.append(f"POST {url} {field}={value[:40]!r}: {response.status_code}")
    assert errors == []
    assert not Beneficiary.objects.filter(last_name__contains="<").exists()


def test_a_busy_database_keeps_the_form_and_says_so(browser, monkeypatch):
    def busy(**kwargs):
        raise ServiceBusy

    monkeypatch.setattr(views, "beneficiary_create", busy)
    response = browser.post(
        reverse("solidarity:beneficiary_create"),
        {"kind": "participant", "last_name": "Exemple", "first_name": "Nadia"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le service est très sollicité : veuillez réessayer dans un instant." in page
    assert 'value="Nadia"' in page


def test_a_huge_query_string_is_cut_not_refused(browser, structure):
    BeneficiaryFactory(structure=structure, last_name="Martin")
    url = reverse("solidarity:beneficiary_list") + "?q=" + quote("é " * 3000)
    assert browser.get(url).status_code == 200
