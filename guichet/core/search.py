"""Accent-blind search, the same on SQLite and PostgreSQL (no `unaccent` extension).

A searchable model keeps a normalised copy of its searched text in a column (`search_text`,
written by `save()`); a query is normalised the same way and every one of its words must be
found in one of the searched columns. "paques" finds "Pâques", "ÉLODIE" finds "Elodie",
"jean-pierre dupont" finds "Dupont, Jean Pierre".

Rows written without `save()` (`QuerySet.update()`, `bulk_create()`) must set `search_text`
themselves; a migration adding a searchable model fills the column with `search_text_fill`.
"""

import re
import unicodedata

from django.db import models
from django.db.models import Q, QuerySet

# Letters NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_WORD = re.compile(r"[^\W_]+")
# A query is at most this many words: each one is a condition on every searched column.
MAX_QUERY_WORDS = 10


def search_normalise(text: str) -> str:
    """Lower case, accents removed, every run of spaces and punctuation one space:
    "Thème de Pâques !" → "theme de paques"."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_WORD.findall(text))


def search_filter(
    queryset: QuerySet, query: str, *, fields: tuple[str, ...] = ("search_text",)
) -> QuerySet:
    """The rows where each word of `query` is in one of `fields` (normalised columns, such as
    "search_text" or "activity__search_text"); an empty query filters nothing."""
    words = dict.fromkeys(search_normalise(query).split()[:MAX_QUERY_WORDS])
    for word in words:
        found = Q()
        for field in fields:
            found |= Q(**{f"{field}__contains": word})
        queryset = queryset.filter(found)
    return queryset


class SearchableModel(models.Model):
    """Keeps `search_text`, the normalised text of the fields named in `search_sources`."""

    search_sources: tuple[str, ...] = ()

    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = search_text_of(self, self.search_sources)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.search_sources):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


def search_text_of(row, sources: tuple[str, ...]) -> str:
    return search_normalise(" ".join(str(getattr(row, name) or "") for name in sources))


def search_text_fill(model, sources: tuple[str, ...]) -> None:
    """Fill `search_text` of every row of `model` (a migration's historical model)."""
    rows = []
    for row in model._default_manager.only("pk", *sources).iterator(chunk_size=1000):
        row.search_text = search_text_of(row, sources)
        rows.append(row)
        if len(rows) == 1000:
            model._default_manager.bulk_update(rows, ["search_text"])
            rows = []
    model._default_manager.bulk_update(rows, ["search_text"])
