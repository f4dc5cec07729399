"""Who is asking: the client address behind trusted proxies, for rate limits (public booking,
sign-in pages) and for whatever records who did what."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _parse(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; when that is a trusted proxy, the right-most X-Forwarded-For entry that is not
    one. Entries further left are written by the client and cannot be believed."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return request.META.get("REMOTE_ADDR", "")
    address = remote
    if _trusted(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
            hop = _parse(entry)
            if hop is None:
                break  # a malformed hop: keep the last address we could trust
            address = hop
            if not _trusted(hop):
                break
    return str(address)


def client_key(group: str, request: HttpRequest) -> str:
    """Rate-limit key: the client address, IPv6 by /64 (a household or device gets a whole /64)."""
    ip = client_ip(request)
    address = _parse(ip)
    if address is not None and address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return ip


def setting_rate(name: str):
    """A django-ratelimit `rate` read from the setting `name` at each request ("20/m", "100/h");
    an empty setting turns the limit off."""

    def rate(group: str, request: HttpRequest) -> str | None:
        return getattr(settings, name) or None

    return rate
