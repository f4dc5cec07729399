"""Running a management command from a test."""

from io import StringIO

from django.core.management import call_command


def command_output(*args) -> str:
    """Run the command `args` and return what it wrote on its standard output (its standard error
    is dropped: a test reads the output, or the CommandError it raises)."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()
