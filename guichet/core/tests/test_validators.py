"""One-line fields typed by staff, and the NUL bytes no page accepts."""

import sys
import unicodedata

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.selectors import organisation_get
from guichet.core.validators import validate_single_line

# Each staff-edited one-line text field: a plain CharField without choices, in the admin's form.
STAFF_TEXT_FIELDS = [
    (model, field)
    for model, model_admin in admin.site._registry.items()
    if model.__module__.startswith("guichet.")
    for field in model._meta.concrete_fields
    if type(field) is models.CharField
    and field.editable
    and not field.choices
    and field.name not in model_admin.readonly_fields
    and (model_admin.fields is None or field.name in model_admin.fields)
]


def test_staff_text_fields_are_found():
    names = {f"{model.__name__}.{field.name}" for model, field in STAFF_TEXT_FIELDS}
    assert {"Organisation.name", "Activity.name", "MessageTemplate.header_title"} <= names


@pytest.mark.parametrize(
    ("model", "field"),
    STAFF_TEXT_FIELDS,
    ids=[f"{model.__name__}.{field.name}" for model, field in STAFF_TEXT_FIELDS],
)
def test_every_staff_text_field_is_single_line(model, field):
    assert validate_single_line in field.validators


@pytest.mark.parametrize("value", ["Ville\r\nBcc: x", "Ville\n", "\x00", "Ville\x7f", "A\u2028B"])
def test_line_breaks_and_controls_are_refused(value):
    with pytest.raises(ValidationError):
        validate_single_line(value)


def test_no_printable_character_breaks_a_line():
    """validate_single_line lets printable texts through without looking at each character:
    no character of the categories it refuses is printable (checked over all of Unicode)."""
    refused = {"Cc", "Zl", "Zp"}
    every = map(chr, range(sys.maxunicode + 1))
    assert [c for c in every if c.isprintable() and unicodedata.category(c) in refused] == []


def test_accents_and_apostrophes_are_single_line():
    validate_single_line("Ville d’Exemple — Parcs & Jardins")


@pytest.mark.django_db
def test_organisation_name_with_a_line_break_is_a_form_error(admin_client):
    organisation = organisation_get()
    url = reverse("admin:core_organisation_change", args=[organisation.pk])
    response = admin_client.post(
        url, {"name": "Ville\r\nBcc: victime@example.org", "online_cancellation_allowed": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    organisation.refresh_from_db()
    assert "\n" not in organisation.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:bookings_reservation_changelist") + "?q=%00",
        reverse("admin:bookings_reservation_changelist") + "?status=%00",
        reverse("admin:bookings_reservation_changelist") + "?session__activity__id__exact=1%00",
        reverse("admin:catalogue_session_changelist") + "?quand=%00&q=x",
        reverse("admin:notifications_outgoingmessage_changelist") + "?q=%00",
        reverse("admin:autocomplete")
        + "?term=%00&app_label=bookings&model_name=reservation&field_name=session",
        reverse("admin:catalogue_session_changelist") + "%00/change/",
        "/?name=%00",
        "/?%00=x",
    ],
)
def test_nul_bytes_are_answered_400(admin_client, url):
    SessionFactory()
    assert admin_client.get(url).status_code == 400


@pytest.mark.django_db
def test_nul_bytes_in_a_form_are_answered_400(admin_client):
    url = reverse("admin:catalogue_category_add")
    assert admin_client.post(url, {"name": "Jeux\x00"}).status_code == 400
