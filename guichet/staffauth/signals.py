from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from guichet.staffauth.services import staff_session_start


@receiver(user_logged_in, dispatch_uid="staffauth_session_start")
def _staff_session_start(sender, request, user, **kwargs):
    staff_session_start(request=request, user=user)
