"""What the browser tests of the public site share: the visitor's data and helpers."""

# What a visitor types, by field label.
PERSON = {
    "Prénom": "Camille",
    "Nom": "Exemple",
    "Email": "camille@example.org",
    "Numéro de téléphone": "06 12 34 56 78",
    "Ville": "Tourcoing",
}


def keep_offline(context, base_url: str) -> None:
    """Abort every request that does not go to the live server (the map tiles): the machine has
    no network, and a test must not wait for it."""
    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())


def record_errors(page, base_url: str) -> list[str]:
    """The live server's answers of 404 and above (a missing static file, a favicon…)."""
    errors = []

    def check(response) -> None:
        if response.url.startswith(base_url) and response.status >= 404:
            errors.append(f"{response.status} {response.url}")

    page.on("response", check)
    return errors


def field(page, label: str):
    """A booking form field by its accessible name: the label without its aria-hidden "*"."""
    role = "combobox" if label == "Quantité" else "textbox"
    return page.get_by_role(role, name=label, exact=True)


def fill(page, person: dict[str, str]) -> None:
    for label, value in person.items():
        field(page, label).fill(value)
