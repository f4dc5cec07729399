import factory

from guichet.accounts.tests.factories import PortalUserFactory
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    MemberRole,
    Membership,
    Structure,
    StructureCategory,
    StructureState,
    Territory,
)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["code"]

    code = "59"
    name = "Nord"


class StructureCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StructureCategory
        django_get_or_create = ["name"]

    name = "Centre social"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Centre social des Exemples {n}")
    category = factory.SubFactory(StructureCategoryFactory)
    address = "1 rue de l'Exemple"
    postal_code = "59000"
    city = "Exempleville"
    territory = factory.SubFactory(TerritoryFactory)
    state = StructureState.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    """A référent (its account's password: guichet.accounts.tests.factories.PASSWORD)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(PortalUserFactory)
    structure = factory.SubFactory(StructureFactory)
    role = MemberRole.REFERENT


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    structure = factory.SubFactory(StructureFactory)
    kind = BeneficiaryKind.PARTICIPANT
    last_name = factory.Sequence(lambda n: f"Exemple{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}")
    first_name = "Dominique"
