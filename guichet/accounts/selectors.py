from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from guichet.accounts.models import email_normalise
from guichet.core.phones import phone_to_e164

User = get_user_model()

# Longer than any e-mail address (254), phone number or username (150): not looked up.
IDENTIFIER_MAX_LENGTH = 254


def identifier_is_email(identifier: str) -> bool:
    return "@" in identifier


def user_find_by_identifier(*, identifier: str):
    """The account `identifier` names, active or not: an e-mail address in any case, a phone
    number in any usual form ("06 12 34 56 78", "+33 6…", "0033 6…"), or a username. One
    statement; an address or a number found on a profile wins over a username equal to it."""
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > IDENTIFIER_MAX_LENGTH:
        return None
    found = Q(username=identifier)
    email = phone = None
    if identifier_is_email(identifier):
        email = email_normalise(identifier)
        found |= Q(profile__email=email)
    else:
        try:
            phone = phone_to_e164(identifier)
        except ValidationError:
            pass
        else:
            found |= Q(profile__phone=phone)
    candidates = list(User.objects.filter(found).select_related("profile")[:3])

    def rank(user) -> int:
        profile = getattr(user, "profile", None)
        if profile is not None and email and profile.email == email:
            return 0
        if profile is not None and phone and profile.phone == phone:
            return 0
        return 1

    return min(candidates, key=rank, default=None)


def user_from_uid(uidb64: str):
    """The account of a link's id, or None for an id that names none."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.select_related("profile").filter(pk=pk).first()


def user_has_chosen_password(user) -> bool:
    """An invited account has no usable password until it chooses one from its link."""
    return user.has_usable_password()
