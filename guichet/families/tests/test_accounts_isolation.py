"""The account pages read through the household scope and the selectors only (the booking pages'
walk over every URL of the namespace: test_portal_isolation, fam-ui's)."""

import ast
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from guichet.families import forms, views_accounts
from guichet.families.tests.factories import ChildFactory, GuardianFactory

BACKEND = "guichet.accounts.backends.IdentifierBackend"


@pytest.mark.parametrize("module", [views_accounts, forms])
def test_account_views_and_forms_read_nothing_but_through_selectors(module):
    tree = ast.parse(Path(module.__file__).read_text())
    managers = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
    ]
    assert managers == []


def test_home_and_profile_show_only_the_guardians_household():
    first = GuardianFactory(user__last_name="Ancolie")
    ChildFactory(household=first.household, first_name="Capucine", last_name="Ancolie")
    other = GuardianFactory(user__last_name="Bleuet")
    ChildFactory(household=other.household, first_name="Iris", last_name="Bleuet")
    client = Client()
    client.force_login(other.user, backend=BACKEND)
    for name in ("home", "profile", "profile_update"):
        page = client.get(reverse(f"families:{name}")).content.decode()
        assert "Iris" in page or name != "home"
        assert "Ancolie" not in page and "Capucine" not in page and first.household.name not in page


def test_staff_and_other_portals_accounts_have_no_family_pages(admin_client):
    assert admin_client.get(reverse("families:home")).status_code == 403
    assert Client().get(reverse("families:home")).status_code == 302  # to "Authentification"
