"""The solidarity portal's demo: two départements, a social structure in each with its
responsable and référent (`demo-responsable-1`/`-2`, `demo-referent-1`/`-2`, password
DEMO_PASSWORD), twenty invented participants, some with a phone or an e-mail, some without, a
few guests and accompaniers. The staff account of the "Gestionnaire solidaire" group,
`demo-solidaire`, is one of guichet.demo.data.STAFF_ACCOUNTS.

Found again by natural keys (codes, names, usernames), so that loading twice adds nothing."""

from dataclasses import dataclass

from django.contrib.auth.models import User

from guichet.accounts.models import Profile
from guichet.demo.common import account_load, assign
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

TERRITORIES = (
    {
        "code": "59",
        "name": "Nord",
        "phone": "+33320000010",
        "email": "solidaire-nord@example.org",
    },
    {
        "code": "62",
        "name": "Pas-de-Calais",
        "phone": "+33321000010",
        "email": "solidaire-pas-de-calais@example.org",
    },
)


@dataclass(frozen=True)
class DemoPerson:
    last_name: str
    first_name: str
    civility: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    kind: str = BeneficiaryKind.PARTICIPANT
    guest_of: str = ""  # the host's last name
    active: bool = True


@dataclass(frozen=True)
class DemoStructure:
    name: str
    category: str
    address: str
    postal_code: str
    city: str
    territory: str
    phone: str
    email: str
    number: int  # demo-responsable-<number>, demo-referent-<number>
    people: tuple[DemoPerson, ...]


STRUCTURES = (
    DemoStructure(
        name="Centre social des Trois Ponts (démo)",
        category="Centre social",
        address="12 rue des Exemples",
        postal_code="59100",
        city="Roubaix",
        territory="59",
        phone="+33320000020",
        email="trois-ponts@example.org",
        number=1,
        people=(
            DemoPerson("Aubert", "Nadia", "madame"),
            DemoPerson("Berthier", "Karim", "monsieur", phone="+33612000001"),
            DemoPerson("Carpentier", "Lucie", "madame", email="lucie.carpentier@example.org"),
            DemoPerson(
                "Delattre",
                "Samir",
                "monsieur",
                phone="+33612000002",
                email="samir.delattre@example.org",
                address="3 allée des Tilleuls, Roubaix",
            ),
            DemoPerson("Évrard", "Maëlys", "madame"),
            DemoPerson("Fournier", "Jean-Marc", "monsieur", phone="+33612000003"),
            DemoPerson("Gosselin", "Awa", "madame", active=False),
            DemoPerson("Hennebert", "Théo"),
            DemoPerson("Ibrahim", "Leïla", "madame", email="leila.ibrahim@example.org"),
            DemoPerson("Joly", "Bernard", "monsieur", address="8 rue du Moulin, Roubaix"),
            DemoPerson("Aubert", "Inès", kind=BeneficiaryKind.GUEST, guest_of="Aubert"),
            DemoPerson("Kouassi", "Ange", kind=BeneficiaryKind.GUEST, guest_of="Berthier"),
            DemoPerson(
                "Lemaire",
                "Sophie",
                "madame",
                phone="+33612000004",
                kind=BeneficiaryKind.ACCOMPANIER,
            ),
        ),
    ),
    DemoStructure(
        name="Association Le Relais d'Arras (démo)",
        category="Association d'insertion",
        address="5 place de l'Exemple",
        postal_code="62000",
        city="Arras",
        territory="62",
        phone="+33321000020",
        email="relais-arras@example.org",
        number=2,
        people=(
            DemoPerson("Marchand", "Yasmine", "madame", phone="+33612000005"),
            DemoPerson("Noël", "François", "monsieur"),
            DemoPerson("Olivier", "Chantal", "madame", email="chantal.olivier@example.org"),
            DemoPerson("Pruvost", "Dylan", "monsieur", phone="+33612000006"),
            DemoPerson("Quenot", "Rose", "madame"),
            DemoPerson("Ramdani", "Youssef", "monsieur", address="14 rue des Jardins, Arras"),
            DemoPerson("Sauvage", "Émilie", "madame", active=False),
            DemoPerson("Tison", "Marcel", "monsieur", phone="+33612000007"),
            DemoPerson("Urbain", "Margaux", "madame", email="margaux.urbain@example.org"),
            DemoPerson("Wallet", "Hugo", "monsieur"),
            DemoPerson("Marchand", "Lina", kind=BeneficiaryKind.GUEST, guest_of="Marchand"),
            DemoPerson("Vasseur", "Paul", "monsieur", kind=BeneficiaryKind.ACCOMPANIER),
        ),
    ),
)


def _account_load(username: str, *, first_name: str, last_name: str, password: str) -> User:
    user = account_load(
        username, password=password, staff=False, first_name=first_name, last_name=last_name
    )
    Profile.objects.update_or_create(user=user, defaults={"email": user.email})
    return user


def _structure_load(spec: DemoStructure) -> Structure:
    structure = Structure.objects.filter(name=spec.name).first() or Structure(name=spec.name)
    if assign(
        structure,
        category_id=StructureCategory.objects.get_or_create(name=spec.category)[0].pk,
        address=spec.address,
        postal_code=spec.postal_code,
        city=spec.city,
        territory_id=Territory.objects.get(code=spec.territory).pk,
        phone=spec.phone,
        email=spec.email,
        state=StructureState.ACTIVE,
        in_directory=True,
    ):
        structure.full_clean()
        structure.save()
    return structure


def _people_load(structure: Structure, people: tuple[DemoPerson, ...]) -> None:
    loaded: dict[str, Beneficiary] = {}
    # Hosts before their guests.
    for spec in sorted(people, key=lambda p: p.kind == BeneficiaryKind.GUEST):
        person = Beneficiary.objects.filter(
            structure=structure, last_name=spec.last_name, first_name=spec.first_name
        ).first() or Beneficiary(
            structure=structure, last_name=spec.last_name, first_name=spec.first_name
        )
        host = loaded.get(spec.guest_of) if spec.guest_of else None
        if (
            assign(
                person,
                kind=spec.kind,
                guest_of_id=host.pk if host else None,
                civility=spec.civility,
                phone=spec.phone,
                email=spec.email,
                address=spec.address,
                is_active=spec.active,
            )
            or person.pk is None
        ):
            person.full_clean()
            person.save()
        if spec.kind == BeneficiaryKind.PARTICIPANT:
            loaded.setdefault(spec.last_name, person)


def solidarity_demo_load(*, password: str) -> None:
    for fields in TERRITORIES:
        territory = Territory.objects.filter(code=fields["code"]).first() or Territory()
        if assign(territory, **fields):
            territory.full_clean()
            territory.save()
    for spec in STRUCTURES:
        structure = _structure_load(spec)
        for role, prefix, first_name in (
            (MemberRole.MANAGER, "demo-responsable", "Hélène"),
            (MemberRole.REFERENT, "demo-referent", "Mathis"),
        ):
            user = _account_load(
                f"{prefix}-{spec.number}",
                first_name=first_name,
                last_name=f"Démo {spec.number}",
                password=password,
            )
            Membership.objects.update_or_create(
                user=user, defaults={"structure": structure, "role": role}
            )
        _people_load(structure, spec.people)
