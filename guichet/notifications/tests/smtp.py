"""A real SMTP server on 127.0.0.1 (aiosmtpd) keeping what it receives, for tests and benchmarks."""

import asyncio
import socket
import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """aiosmtpd handler: keeps each message's envelope (or only counts them). With `stall_at`,
    the server keeps that message (the n-th, from 1) but holds back its answer until `release` is
    set, as a slow server would: the sender does not know yet whether it went."""

    def __init__(self, *, keep: bool = True, stall_at: int | None = None):
        self.keep = keep
        self.envelopes = []
        self.count = 0
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        if self.keep:
            self.envelopes.append(envelope)
        if self.count == self.stall_at:
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 OK"


@contextmanager
def smtp_server(*, keep: bool = True, stall_at: int | None = None):
    """Yields (port, collector) while the server runs."""
    collector = Collector(keep=keep, stall_at=stall_at)
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, collector
    finally:
        collector.release.set()
        controller.stop()
