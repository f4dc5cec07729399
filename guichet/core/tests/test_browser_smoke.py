"""Proves the browser wiring: Debian Chromium, driven by Playwright, against the live server."""

import pytest


@pytest.mark.browser
def test_admin_login_page_is_in_french(live_server, browser_page):
    browser_page.goto(f"{live_server.url}/admin/login/")

    assert "Connexion" in browser_page.title()
    assert browser_page.get_by_label("Nom d’utilisateur").is_visible()
