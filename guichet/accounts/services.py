"""Portal accounts: created without a password (the person chooses one from an invitation link),
their names, e-mail address and phone number kept on the user and its profile."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from guichet.accounts.models import EMAIL_TAKEN, PHONE_TAKEN, Profile, email_normalise
from guichet.core.audit import audit_before, audit_saved

User = get_user_model()

# A username made from the names: "camille-exemple", "camille-exemple-2"…
USERNAME_MAX_LENGTH = 140


def _username_free(*, first_name: str, last_name: str) -> str:
    base = slugify(f"{first_name} {last_name}")[:USERNAME_MAX_LENGTH] or "compte"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base}-{n}"
    return username


def _profile_save(profile: Profile) -> None:
    """Validates and saves the profile and its user, the user's e-mail kept equal to the
    profile's. Two requests taking the same address at once: the second one's insert is refused
    by the unique index, and reported on the field as full_clean would."""
    profile.email = email_normalise(profile.email)  # before its format is checked
    profile.full_clean(exclude=["user"])
    user = profile.user
    user.email = profile.email
    user.full_clean(exclude=["password", "username"])
    try:
        with transaction.atomic():
            user.save()
            profile.user = user  # the user's id, when just created
            profile.save()
    except IntegrityError as exc:
        # PostgreSQL names the index (profile_phone_unique), SQLite the column (….phone).
        for field, taken in (("phone", PHONE_TAKEN), ("email", EMAIL_TAKEN)):
            if field in str(exc):
                raise ValidationError({field: taken}) from exc
        raise


@transaction.atomic
def account_create(*, first_name: str, last_name: str, email: str = "", phone: str = ""):
    """A new active account with no usable password: it signs in once it has chosen one from
    its invitation link."""
    user = User(
        username=_username_free(first_name=first_name, last_name=last_name),
        first_name=first_name,
        last_name=last_name,
    )
    user.set_unusable_password()
    profile = Profile(user=user, email=email, phone=phone)
    _profile_save(profile)
    audit_saved(user, before=None)
    return user


def account_profile(user) -> Profile:
    """The account's profile, made (empty) for an account that has none yet (a staff account)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user, email=user.email)


@transaction.atomic
def account_update(
    *, user, first_name: str, last_name: str, phone: str, email: str | None = None
) -> None:
    """New names and phone number, and a new e-mail address when one is given (confirmed by
    its owner, or set by the person in charge while the account has never been used)."""
    before = audit_before(user)
    user.first_name, user.last_name = first_name, last_name
    profile = account_profile(user)
    profile.phone = phone
    if email is not None:
        profile.email = email
    _profile_save(profile)
    audit_saved(user, before=before)


@transaction.atomic
def account_email_set(*, user, email: str) -> None:
    """The address confirmed from the link sent to it ("Mon profil")."""
    before = audit_before(user)
    profile = account_profile(user)
    profile.email = email
    _profile_save(profile)
    audit_saved(user, before=before)


def account_password_set(*, user, password: str) -> None:
    """The password chosen from an invitation or reset link, or changed in "Mon profil" (the
    forms have checked it with AUTH_PASSWORD_VALIDATORS). The links sent before die with it."""
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def account_deactivate(*, user) -> None:
    """The account can no longer sign in; its sessions end at their next request. The user row
    stays, so that what it did keeps its author's name."""
    if user.is_active:
        before = audit_before(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_saved(user, before=before)


@transaction.atomic
def account_reactivate(*, user) -> None:
    if not user.is_active:
        before = audit_before(user)
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_saved(user, before=before)
