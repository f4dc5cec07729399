"""A lock conflict as PostgreSQL reports it, for tests of what the person or staff then read."""

from django.db import OperationalError


class _LockTimeout(Exception):
    sqlstate = "55P03"  # what psycopg's error carries after PostgreSQL's lock_timeout


def lock_timeout_error() -> OperationalError:
    error = OperationalError("canceling statement due to lock timeout")
    error.__cause__ = _LockTimeout()
    return error


def always_locked(calls: list):
    """A stand-in for a service whose row stays locked past every retry; records each call."""

    def service(**kwargs):
        calls.append(kwargs)
        raise lock_timeout_error()

    return service
