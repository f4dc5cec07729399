"""Bad input on the booking pages (forged ids, markup, NUL bytes, control characters, very long
values): a French message or a 404, never a server error, and nothing written."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from guichet.core.permissions import FAMILY_MANAGER_GROUP
from guichet.families.models import BasketLine

BACKEND = "guichet.accounts.backends.IdentifierBackend"
HOSTILE = [
    "",
    "0",
    "-1",
    "99999999999999999999999",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "\x00",
    "a\x00b",
    "\x1b[2J",
    "é" * 5000,
    "2027-02-30",
    "9999-12",
    "2027-13",
    "０１",
]


@pytest.fixture
def parent(client, guardian, now):
    client.force_login(guardian.user, backend=BACKEND)
    return client


PAGES = [
    ("get", "calendar", ("enfant", "activite", "mois")),
    ("post", "calendar_toggle", ("enfant", "activite", "mois", "jour", "semaine", "jour_semaine")),
    ("get", "calendar_day", ("enfant", "jour")),
    ("post", "calendar_day", ("enfant", "jour", "seance")),
    ("get", "calendar_hours", ("enfant", "activite", "jour")),
    ("post", "calendar_hours", ("jour", "arrival", "departure")),
    ("get", "calendar_copy", ("enfant", "activite", "mois")),
    ("post", "calendar_copy", ("source_child", "source_activity", "first_day", "last_day")),
    ("post", "basket_validate", ("submission_key",)),
    ("get", "follow", ("enfant", "activite", "mois", "etat")),
    ("post", "follow_cancel", ("reservation", "retour")),
]


@pytest.mark.parametrize("method,name,fields", PAGES, ids=[f"{m}-{n}" for m, n, _f in PAGES])
def test_hostile_values_never_break_a_page(parent, child, rules, period, method, name, fields):
    good = {
        "enfant": child.pk,
        "activite": rules.activity_id,
        "mois": "2027-03",
        "jour": "2027-03-01",
        "source_child": child.pk,
        "source_activity": rules.activity_id,
        "first_day": "2027-03-01",
        "last_day": "2027-03-31",
        "weeks_later": "0",
    }
    url = reverse(f"families:{name}")
    for field in fields:
        for value in HOSTILE:
            response = getattr(parent, method)(url, good | {field: value})
            # 400: the project refuses NUL bytes in a request before any view.
            assert response.status_code in (200, 302, 400, 404), (
                field,
                value,
                response.status_code,
            )
            body = response.content.decode()
            assert "<script>alert(1)</script>" not in body
            if response.status_code == 302:
                assert "\x00" not in response["Location"]
                assert not response["Location"].startswith("http"), response["Location"]


def test_messages_are_french(parent, child, rules, period):
    calendar = reverse("families:calendar")
    page = parent.get(calendar, {"enfant": child.pk, "mois": "<b>"}, follow=True)
    assert "Ce mois n&#x27;existe pas : voici le mois en cours." in page.content.decode()
    toggle = reverse("families:calendar_toggle")
    data = {"enfant": child.pk, "activite": rules.activity_id, "mois": "2027-03"}
    page = parent.post(toggle, data | {"semaine": "2027-03-02"}, follow=True).content.decode()
    assert "Choisissez un jour du mois affiché." in page
    page = parent.post(toggle, data | {"jour": "2027-04-01"}, follow=True).content.decode()
    assert "Choisissez un jour du mois affiché." in page
    page = parent.get(reverse("families:follow"), {"etat": "<b>"}).content.decode()
    assert "Cet état n&#x27;existe pas" in page
    answer = parent.post(reverse("families:basket_validate"), {"submission_key": "<x>"})
    page = parent.get(answer["Location"]).content.decode()
    assert "Ce formulaire a expiré" in page
    copy = reverse("families:calendar_copy")
    page = parent.post(
        copy,
        data
        | {
            "source_child": child.pk,
            "first_day": "2027-03-01\x1b",
            "last_day": "x" * 300,
            "weeks_later": "99",
        },
    ).content.decode()
    assert "Saisissez une date (JJ/MM/AAAA)." in page
    assert "Choisissez un décalage de la liste." in page
    assert not BasketLine.objects.exists()


@pytest.fixture
def family_staff(client, django_user_model, now):
    user = django_user_model.objects.create_user(
        username="famille", email="famille@example.org", password="x", is_staff=True
    )
    group, _created = Group.objects.get_or_create(name=FAMILY_MANAGER_GROUP)
    user.groups.add(group)
    client.force_login(user)
    return client


def test_staff_pages_take_hostile_values(family_staff):
    for value in HOSTILE:
        page = family_staff.get(reverse("families:staff_day_list"), {"day": value, "format": value})
        assert page.status_code in (200, 400)  # 400: a NUL byte, refused before any view
        if page.status_code == 200 and value:
            assert "Saisissez une date (JJ/MM/AAAA)." in page.content.decode(), value
        page = family_staff.post(
            reverse("families:staff_request", kwargs={"reservation_id": 1}), {"reason": value}
        )
        assert page.status_code in (302, 400)
