"""The mail template preview in headless Chromium, with the content security policy enforced:
the whole mail shows, however long, its last line included. Screenshot under
var/screenshots/staff/ for review."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guichet.bookings.tests.test_staff_browser import DESKTOP, PHONE, shoot, staff_context
from guichet.notifications.models import MessageKind
from guichet.notifications.selectors import message_template_get

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAST_LINE = "Dernière ligne du texte, tout en bas du courriel."


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_preview_shows_the_whole_of_a_long_mail(live_server, chromium, admin_user, viewport):
    template = message_template_get(kind=MessageKind.CONFIRMATION)
    paragraphs = [f"<p>Paragraphe {number} des consignes de la visite.</p>" for number in range(80)]
    template.main_content = "".join(paragraphs) + f"<p>{LAST_LINE}</p>"
    template.save()
    context = staff_context(chromium, live_server, admin_user, viewport, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(
        live_server.url + reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    )
    with context.expect_page() as opened:
        page.get_by_role("button", name="Prévisualiser").click()
    preview = opened.value
    preview.set_default_timeout(5000)
    frame = preview.frame_locator("iframe[title='Version HTML']")
    last_line = frame.get_by_text(LAST_LINE)
    expect(last_line).to_be_attached()
    iframe = preview.locator("iframe[title='Version HTML']")
    # The frame grows to the mail (the script runs under the policy): taller than its first
    # 900 px, with nothing to scroll inside.
    expect(iframe).not_to_have_css("height", "900px")
    inner = frame.locator("html").evaluate(
        "root => ({scroll: root.scrollHeight, client: root.clientHeight})"
    )
    frame_box, line_box = iframe.bounding_box(), last_line.bounding_box()
    shoot(preview, f"apercu-courriel-{viewport['width']}")
    context.close()

    assert inner["scroll"] > 900
    assert inner["scroll"] <= inner["client"]
    assert line_box["y"] + line_box["height"] <= frame_box["y"] + frame_box["height"]
