import factory
from django.contrib.auth import get_user_model

from guichet.accounts.models import Profile

PASSWORD = "un-mot-de-passe-solide"


class ProfileFactory(factory.django.DjangoModelFactory):
    """A portal account (user and profile) with the password PASSWORD."""

    class Meta:
        model = Profile
        skip_postgeneration_save = True

    user = factory.SubFactory("guichet.accounts.tests.factories.PortalUserFactory", profile=None)
    email = factory.LazyAttribute(lambda p: f"{p.user.username}@example.org")
    phone = ""

    @factory.post_generation
    def user_email(obj, create, extracted, **kwargs):
        obj.user.email = obj.email
        if create:
            obj.user.save(update_fields=["email"])


class PortalUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"referent{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Exemple{chr(65 + n % 26)}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    profile = factory.RelatedFactory(ProfileFactory, factory_related_name="user")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()
