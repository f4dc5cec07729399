"""The back-office as the "Gestionnaire" group sees it, and who is kept out of it."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.tests.factories import ReservationFactory
from guichet.catalogue.models import Activity, ActivityType, Audience, Category, Location, Session
from guichet.catalogue.tests import factories as catalogue
from guichet.core.audit import audit_record
from guichet.core.models import AuditAction, AuditEntry, Organisation
from guichet.core.selectors import organisation_get
from guichet.notifications.models import (
    MessageAttachment,
    MessageKind,
    MessageTemplate,
    OutgoingMessage,
)
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db

# One object of each model the group manages. A model newly registered in the admin with
# permissions for the group needs an entry here, or test_manager_pages_render fails.
OBJECT_FACTORIES = {
    Organisation: organisation_get,
    Category: catalogue.CategoryFactory,
    Audience: catalogue.AudienceFactory,
    ActivityType: catalogue.ActivityTypeFactory,
    Location: catalogue.LocationFactory,
    Activity: catalogue.ActivityFactory,
    Session: catalogue.SessionFactory,
    Reservation: ReservationFactory,
    OutgoingMessage: OutgoingMessageFactory,
    MessageTemplate: lambda: MessageTemplate.objects.get(kind=MessageKind.CONFIRMATION),
    MessageAttachment: lambda: MessageAttachment.objects.create(
        kind=MessageKind.CONFIRMATION, file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan")
    ),
    AuditEntry: lambda: audit_record(
        action=AuditAction.CREATE, obj=catalogue.LocationFactory(), changes={"name": [None, "x"]}
    ),
}
EDIT = ("view", "add", "change")
# What the group may do, by model (the outbox is read-only: "change" is sending again).
GROUP_ACTIONS = {model: EDIT for model in OBJECT_FACTORIES} | {
    OutgoingMessage: ("view", "change"),
    MessageTemplate: ("view", "change"),
    AuditEntry: ("view",),  # the journal: nobody writes to it from the admin
}
REGISTERED = list(admin.site._registry.items())


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _admin in REGISTERED]
)
def test_manager_pages_render(manager_client, manager, model, model_admin):
    if not model_admin.has_view_or_change_permission(admin_request(manager)):
        # Accounts, groups, task results: not the group's business.
        assert manager_client.get(admin_url(model, "changelist")).status_code == 403
        return
    obj = OBJECT_FACTORIES[model]()

    response = manager_client.get(admin_url(model, "changelist"), follow=True)
    assert response.status_code == 200

    add = manager_client.get(admin_url(model, "add"))
    may_add = model_admin.has_add_permission(admin_request(manager))
    assert add.status_code == (200 if may_add else 403)

    change = manager_client.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200
    assert change.context["has_change_permission"] == model_admin.has_change_permission(
        admin_request(manager), obj
    )


def test_manager_group_has_exactly_its_permissions():
    group = Group.objects.get(name="Gestionnaire")
    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))

    expected = {
        (model._meta.app_label, f"{action}_{model._meta.model_name}")
        for model, actions in GROUP_ACTIONS.items()
        for action in actions
    }
    assert permissions == expected


def test_manager_deletes_nothing(manager):
    assert not any(".delete_" in permission for permission in manager.get_all_permissions())
    request = admin_request(manager)
    assert not [model for model, admin_ in REGISTERED if admin_.has_delete_permission(request)]


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_add"),
    ],
)
def test_manager_cannot_manage_accounts(manager_client, url):
    assert manager_client.get(url).status_code == 403


def test_manager_cannot_change_a_user(manager_client, manager):
    response = manager_client.get(reverse("admin:auth_user_change", args=[manager.pk]))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url", [reverse("admin:index"), reverse("admin:catalogue_location_changelist")]
)
def test_non_staff_and_anonymous_go_to_login(client, django_user_model, url):
    login = reverse("admin:login")
    assert client.get(url).url == f"{login}?next={url}"

    public = django_user_model.objects.create_user(username="public", email="public@example.org")
    client.force_login(public)
    assert client.get(url).url == f"{login}?next={url}"


def test_admin_titles_in_french(manager_client):
    response = manager_client.get(reverse("admin:index"))

    assert "| Guichet — administration</title>" in response.text
    assert '<a href="/admin/">Guichet — administration</a>' in response.text


def test_organisation_list_leads_to_the_single_row(admin_client):
    organisation = organisation_get()

    response = admin_client.get(reverse("admin:core_organisation_changelist"))

    assert response.url == reverse("admin:core_organisation_change", args=[organisation.pk])
    assert admin_client.get(reverse("admin:core_organisation_add")).status_code == 403
    delete = admin_client.get(reverse("admin:core_organisation_delete", args=[organisation.pk]))
    assert delete.status_code == 403


def test_organisation_added_once_when_missing(admin_client):
    assert admin_client.get(reverse("admin:core_organisation_changelist")).url == reverse(
        "admin:core_organisation_add"
    )

    response = admin_client.post(
        reverse("admin:core_organisation_add"),
        {
            "name": "Ville d'Exemple",
            "phone": "03 20 00 00 00",
            "online_cancellation_allowed": "on",
            "accessibility_level": "non",
        },
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.pk, organisation.phone) == (Organisation.SINGLETON_PK, "+33320000000")
    assert admin_client.get(reverse("admin:core_organisation_add")).status_code == 403


def test_the_back_office_has_the_site_icon(client):
    html = client.get("/admin/login/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert "Guichet — administration" in html  # the rest of the page is Django's own
