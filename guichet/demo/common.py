"""What the demo's loaders share: rows updated in place, accounts with the demo password."""

from django.contrib.auth.models import User

from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import reservation_update
from guichet.catalogue.models import Session


def assign(instance, **fields) -> bool:
    """Set fields on an instance; True when one of them changed."""
    changed = False
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def account_load(
    username: str,
    *,
    password: str,
    staff: bool,
    superuser: bool = False,
    first_name: str = "Démo",
    last_name: str = "",
) -> User:
    """The account `username` (e-mail `<username>@example.org`), active, with `password`."""
    user = User.objects.filter(username=username).first() or User(username=username)
    changed = assign(
        user,
        email=f"{username}@example.org",
        first_name=first_name,
        last_name=last_name,
        is_staff=staff,
        is_superuser=superuser,
        is_active=True,
    )
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    return user


def reservations_unarchive(session: Session) -> None:
    """A demo session moved back to the future (loading days later) holds valid reservations,
    not the archived ones the nightly job made of them."""
    for reservation in session.reservations.filter(status=ReservationStatus.ARCHIVED):
        reservation.status = ReservationStatus.VALID
        reservation_update(reservation=reservation)
