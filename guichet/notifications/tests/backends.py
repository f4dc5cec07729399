"""E-mail backends that fail on purpose."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """The locmem backend, failing the next `failures` sends with `error`."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error
        return super().send_messages(messages)


class WorkerKilled(BaseException):
    """What a `kill -9` is to the code that was running: nothing after it runs."""


class DyingBackend(EmailBackend):
    """The locmem backend, whose process dies after `sends` sends (as the server accepts the next)."""

    sends = 0

    def send_messages(self, messages):
        if DyingBackend.sends == 0:
            raise WorkerKilled
        DyingBackend.sends -= 1
        return super().send_messages(messages)
