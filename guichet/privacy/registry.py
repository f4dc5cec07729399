"""Where the apps' personal data is described: how to find a person's rows, how to export and
anonymise them, and which retention rules apply. guichet.privacy reads only this registry.

The apps below guichet.privacy (catalogue, bookings, notifications) cannot import it (the import
contracts in pyproject.toml): guichet.privacy.parks registers them. An app above it (the portals)
registers its own sources and rules from its AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet


@dataclass(frozen=True)
class PersonQuery:
    """What staff typed to find a person: an e-mail address, a phone number or names."""

    text: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PersonSource:
    name: str  # a file name in the export: "reservations"
    label: str
    find: Callable[[PersonQuery], QuerySet]  # every row concerning the person
    columns: tuple[str, ...]
    export_row: Callable[[object], dict]  # {column: value as JSON}
    # Blanks the personal fields of these rows (or deletes them); returns how many changed.
    anonymise: Callable[[QuerySet, datetime], int]


@dataclass(frozen=True)
class RetentionRule:
    name: str
    # Applies the rule to at most `batch` rows in one transaction; returns how many changed.
    apply_batch: Callable[[datetime, int], int]


_sources: dict[str, PersonSource] = {}
_rules: dict[str, RetentionRule] = {}


def person_source_register(source: PersonSource) -> None:
    _sources[source.name] = source


def retention_rule_register(rule: RetentionRule) -> None:
    _rules[rule.name] = rule


def person_sources() -> tuple[PersonSource, ...]:
    return tuple(_sources.values())


def retention_rules() -> tuple[RetentionRule, ...]:
    return tuple(_rules.values())
