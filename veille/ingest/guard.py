"""Which addresses Veille may connect to: public ones, and the private networks a user listed.

A feed or a page link is written by someone else; without this, a link to 127.0.0.1, to a cloud's
metadata address or to an intranet host would be fetched and its page stored and quoted in alerts.
The check is on the addresses a host name resolves to, not on how the URL spells it: 2130706433,
0x7f000001, 127.1, [::ffff:127.0.0.1] and localhost are all 127.0.0.1 once resolved.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from veille.errors import IngestError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOWANCE_SETTING = "VEILLE_FETCH_ALLOWED_NETWORKS"

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# In the order they are named: the first that applies is the one a user reads.
_CLASSES: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("reserved", lambda a: a.is_reserved),
    ("private", lambda a: a.is_private),
    ("site-local", lambda a: isinstance(a, ipaddress.IPv6Address) and a.is_site_local),
    ("not globally reachable", lambda a: not a.is_global),
)


class AddressRefused(IngestError):
    """A host resolves to an address Veille does not connect to; the message names both and the setting."""


def address_class(address: IPAddress) -> str | None:
    """Why `address` is not one to fetch from ("loopback", "private", ...), or None when it is public.

    An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by that IPv4
    address: it is where the packets end up.
    """
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return address_class(embedded)
    return next((name for name, applies in _CLASSES if applies(address)), None)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    value = int(address)
    if address in _NAT64 or (value >> 32 == 0 and value > 1):  # NAT64, or IPv4-compatible (::a.b.c.d)
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated networks in CIDR form (a bare address is that one host).

    Raises:
        ValueError: naming the item that is not a network.
    """
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not a network such as 10.0.0.0/8 or fd00::/8") from None
    return tuple(networks)


@dataclass(frozen=True)
class AddressGuard:
    """Refuses every address that is not public, except those in `allowed` (a user's intranet)."""

    allowed: tuple[IPNetwork, ...] = ()

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Pass when every address `host` resolved to may be connected to.

        All of them, not only the first: a connection may fall back to any of them.

        Raises:
            AddressRefused: for the first address that may not, in one line a user can act on.
        """
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
            if self._allows(address):
                continue
            kind = address_class(address)
            if kind is not None:
                named = host if host == text else f"{host} resolves to {text}"
                raise AddressRefused(
                    f"refused: {named} ({kind}); Veille fetches public addresses only ({ALLOWANCE_SETTING})"
                )

    def _allows(self, address: IPAddress) -> bool:
        candidates = [address, *filter(None, [_embedded_ipv4(address)])]
        return any(
            candidate in network
            for candidate in candidates
            for network in self.allowed
            if candidate.version == network.version
        )
