import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from guichet.core.db import ServiceBusy, with_retry
from guichet.core.validators import PersonNameValidator


class ServiceModelForm(forms.ModelForm):
    """A model form whose write is a service call, made while the form is validated so that a
    refusal (no seats left, …) comes back as a form error instead of a server error.

    The admin validates and saves inside one transaction and services are atomic (a savepoint),
    so a refused write leaves nothing behind. Subclasses implement `perform(instance)`, which
    calls the service and returns the saved instance, and list in `service_errors` the
    exceptions whose message is shown to the user as it is. A lock conflict that outlasts the
    retries shows the busy message as a form error, with what staff typed. The model's own validation
    (full_clean) is left to the service, which may fill fields first (a slug, a counter).
    Use it with guichet.core.admin.ServiceModelAdmin, which does not save a second time.
    """

    service_errors: tuple[type[Exception], ...] = ()

    def perform(self, instance):
        raise NotImplementedError

    def _post_clean(self):
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as exc:
            self._update_errors(exc)
        if self.errors:
            return
        try:
            # Retried here although the admin's transaction is open: it holds no lock yet, and
            # the service's own savepoint is what a lock conflict rolls back.
            self.instance = with_retry(self.perform, instance=self.instance)
        except ValidationError as exc:
            self._update_errors(exc)
        except (ServiceBusy, *self.service_errors) as exc:
            self.add_error(None, str(exc))

    def save(self, commit=True):
        # Already written by the service during validation; only relations are left.
        if commit:
            self._save_m2m()
        else:
            self.save_m2m = self._save_m2m
        return self.instance


class PersonNameField(forms.CharField):
    """A name normalised to NFC (one code point for "é" whichever keyboard typed it)."""

    def __init__(self, *, invalid: str, **kwargs):
        super().__init__(max_length=100, validators=[PersonNameValidator(invalid)], **kwargs)

    def to_python(self, value):
        return unicodedata.normalize("NFC", super().to_python(value))
