from django import forms
from django.core.exceptions import ValidationError


class ServiceModelForm(forms.ModelForm):
    """A model form whose write is a service call, made while the form is validated so that a
    refusal (no seats left, …) comes back as a form error instead of a server error.

    The admin validates and saves inside one transaction and services are atomic (a savepoint),
    so a refused write leaves nothing behind. Subclasses implement `perform(instance)`, which
    calls the service and returns the saved instance, and list in `service_errors` the
    exceptions whose message is shown to the user as it is.
    """

    service_errors: tuple[type[Exception], ...] = ()

    def perform(self, instance):
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance = self.perform(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)
        except self.service_errors as exc:
            self.add_error(None, str(exc))

    def save(self, commit=True):
        # Already written by the service during validation.
        self._save_m2m()
        return self.instance
