"""The layout's header and footer, rendered once per organisation row (`{% layout_part %}`): a
change staff make shows on the very next page, and nothing of one page or site leaks into
another."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from guichet.core.models import Organisation
from guichet.core.selectors import organisation_get

pytestmark = pytest.mark.django_db


def footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def header(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("<main")]


def test_staff_changing_the_organisation_shows_on_the_next_page(admin_client, client):
    organisation = organisation_get()
    organisation.name, organisation.phone = "Ville d'Avant", "+33320000000"
    organisation.save()
    before = client.get(reverse("public:legal_notice")).content.decode()
    assert "Billetterie Ville d&#x27;Avant" in header(before)
    assert "+33 3 20 00 00 00" in footer(before)
    assert "mailto:" not in footer(before)

    response = admin_client.post(
        reverse("admin:core_organisation_change", args=[organisation.pk]),
        {
            "name": "Ville d'Après",
            "phone": "04 78 00 00 00",
            "contact_email": "contact@ville-apres.example",
            "postal_address": "1 place de la Mairie\n69000 Lyon",
            "online_cancellation_allowed": "on",
            "accessibility_level": "partial",
        },
    )
    assert response.status_code == 302, response.content.decode()
    after = client.get(reverse("public:legal_notice")).content.decode()
    assert "Ville d&#x27;Avant" not in after
    assert "Billetterie Ville d&#x27;Après" in header(after)
    assert "<title>Mentions légales – Billetterie Ville d&#x27;Après</title>" in after
    assert "+33 4 78 00 00 00" in footer(after) and "+33 3 20" not in footer(after)
    assert '<a href="mailto:contact@ville-apres.example">Contact</a>' in footer(after)
    assert "1 place de la Mairie<br>69000 Lyon" in footer(after)
    assert "Accessibilité : partiellement conforme" in footer(after)


def test_the_organisation_row_is_told_apart_by_every_field():
    template = Template(
        '{% load layout %}{% layout_part "test-logo" organisation %}'
        "{% if organisation.logo %}{{ organisation.logo.url }}{% else %}-{% endif %}"
        "{% endlayout_part %}"
    )
    organisation = organisation_get()
    assert template.render(Context({"organisation": organisation})) == "-"
    Organisation.objects.filter(pk=organisation.pk).update(logo="organisation/blason.png")
    organisation.refresh_from_db()
    assert template.render(Context({"organisation": organisation})).endswith(
        "organisation/blason.png"
    )


def test_each_site_and_value_gets_its_own_part_escaped():
    template = Template(
        '{% load layout %}{% layout_part "test-site" site_name site_home %}'
        '{% url "public:activity_list" as home %}<a href="{{ site_home|default:home }}">'
        "{{ site_name }}</a>{% endlayout_part %}[{{ home }}]"
    )
    public = template.render(Context({"site_name": "<Parcs>"}))
    portal = template.render(Context({"site_name": "Portail", "site_home": "/solidarite/"}))
    assert public == '<a href="/">&lt;Parcs&gt;</a>[]'  # what the part sets stays in it
    assert portal == '<a href="/solidarite/">Portail</a>[]'
    assert template.render(Context({"site_name": "<Parcs>"})) == public
    # A value that cannot be a key is rendered each time, never mixed up with another.
    unhashable = Template(
        '{% load layout %}{% layout_part "test-list" names %}{{ names|join:"," }}{% endlayout_part %}'
    )
    assert unhashable.render(Context({"names": ["a", "b"]})) == "a,b"
    assert unhashable.render(Context({"names": ["c"]})) == "c"
