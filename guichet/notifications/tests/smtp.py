"""A real SMTP server on 127.0.0.1 (aiosmtpd) keeping what it receives, for tests and benchmarks."""

import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """aiosmtpd handler: keeps each message's envelope (or only counts them)."""

    def __init__(self, *, keep: bool = True):
        self.keep = keep
        self.envelopes = []
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        if self.keep:
            self.envelopes.append(envelope)
        return "250 OK"


@contextmanager
def smtp_server(*, keep: bool = True):
    """Yields (port, collector) while the server runs."""
    collector = Collector(keep=keep)
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, collector
    finally:
        controller.stop()
