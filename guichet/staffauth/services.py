"""Staff accounts from a directory: group mapping, identities, deactivation, second factor."""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.staffauth.models import StaffIdentity

User = get_user_model()

RECOVERY_CODE_COUNT = 10


def _group_key(name: str) -> str:
    # Directory group names and DNs compare as the directory does: without regard to case, nor
    # to the spaces after the commas of a DN.
    return ",".join(part.strip() for part in str(name).split(",")).casefold()


def _mapped_names(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def staff_groups_apply(*, user, directory_groups: Iterable[str]) -> bool:
    """Give `user` the Guichet groups that STAFF_GROUP_MAP maps `directory_groups` to, and take
    away the mapped groups it no longer maps to; groups that no entry of the map names (granted
    by hand) are kept. "Statut équipe" follows: staff while the account has any group. A
    directory never makes a superuser. Returns whether a mapped group is left."""
    group_map = {_group_key(k): _mapped_names(v) for k, v in settings.STAFF_GROUP_MAP.items()}
    managed = set().union(*group_map.values())
    keys = {_group_key(g) for g in directory_groups}
    wanted = set().union(*(names for key, names in group_map.items() if key in keys))
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=managed - wanted))
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in sorted(wanted)))
        user.is_staff = user.groups.exists()
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
    return bool(wanted)


def staff_identity_link(*, user, issuer: str, subject: str) -> StaffIdentity:
    identity, _created = StaffIdentity.objects.update_or_create(
        issuer=issuer, subject=subject, defaults={"user": user}
    )
    return identity


def staff_directory_user(*, issuer: str, subject: str, username: str, profile: dict[str, str]):
    """The account of the directory identity (issuer, subject), created at its first sign-in,
    with its name and e-mail updated from `profile` at each one."""
    fields = {k: (profile.get(k) or "")[:150] for k in ("first_name", "last_name")}
    fields["email"] = (profile.get("email") or "")[:254]
    with transaction.atomic():
        identity = (
            StaffIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            user = User(username=_username_free(username), **fields)
            user.set_unusable_password()
            user.save()
            identity = StaffIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        else:
            user = identity.user
            for name, value in fields.items():
                setattr(user, name, value)
            user.save(update_fields=list(fields))
            identity.save(update_fields=["last_login"])
    return user


def _username_free(wanted: str) -> str:
    base = (wanted or "agent")[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def staff_deactivate(*, user) -> None:
    """Deactivate the account. Its sessions end with it: every authentication backend refuses
    an inactive account when a session is read (guichet.staffauth.backends)."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])


def staff_session_start(*, request, user) -> None:
    """A staff session lasts at most STAFF_SESSION_MAX_AGE from sign-in, active or not."""
    if user.is_staff:
        request.session.set_expiry(
            timezone.now() + datetime.timedelta(seconds=settings.STAFF_SESSION_MAX_AGE)
        )


def second_factor_device_start(*, user) -> TOTPDevice:
    """The authenticator app being enrolled (unconfirmed until a first code is given)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Application", confirmed=False)
    return device


def second_factor_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with its first code; returns fresh single-use recovery codes, or None
    when the code is wrong."""
    if not device.verify_token("".join(token.split())):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return recovery_codes_renew(user=device.user)


def recovery_codes_renew(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_check(*, user, token: str):
    """The confirmed device (authenticator app, then recovery codes) that accepts `token`, or
    None. A code is accepted once: TOTP remembers the last step used, recovery codes are
    deleted when used; each device slows down repeated failures."""
    token = "".join(token.split())
    # A six-digit code is the app's; anything else a recovery code (trying a recovery code on
    # the app would count as one of its failures and slow it down).
    model, token = (TOTPDevice, token) if token.isdigit() else (StaticDevice, token.lower())
    for device_pk in model.objects.filter(user=user, confirmed=True).values_list("pk", flat=True):
        with transaction.atomic():
            device = model.objects.select_for_update().get(pk=device_pk)
            if device.verify_token(token):
                return device
    return None


def second_factor_reset(*, user) -> None:
    """A colleague lost their device and their recovery codes: a superuser removes their
    second factor; they enrol again at their next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
