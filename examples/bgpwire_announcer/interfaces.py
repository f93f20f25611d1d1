"""What the announcer asks of the host: is an address ours, which IPv4 and IPv6 addresses can be
a next hop, which IPv4 address can name us (router ID).

Presence is tested the way the session will use the address: by binding a socket to it. The
kernel answers ``EADDRNOTAVAIL`` for an address no interface holds (or one still tentative,
during IPv6 duplicate address detection), which is exactly when a session from it cannot start.
"""

from __future__ import annotations

import array
import errno
import fcntl
import hashlib
import ipaddress
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

AddressPresence = Callable[[str], bool]
"""Answers whether this host holds an address (``True``: a socket can bind to it)."""

IF_INET6 = Path("/proc/net/if_inet6")
"""Linux: one line per IPv6 address (address, ifindex, prefix length, scope, flags, name)."""

_SCOPE_GLOBAL = 0x00
_IFA_F_TEMPORARY = 0x01
_IFA_F_DADFAILED = 0x08
_IFA_F_DEPRECATED = 0x20
_IFA_F_TENTATIVE = 0x40
_UNUSABLE = _IFA_F_DADFAILED | _IFA_F_DEPRECATED | _IFA_F_TENTATIVE


def address_present(address: str) -> bool:
    """Whether a socket can bind to ``address`` on this host.

    Only ``EADDRNOTAVAIL`` means absent; any other refusal (a port clash cannot happen with
    port 0, a permission problem would show at connect time too) counts as present so that the
    session's own error, which is more precise, is the one reported.
    """
    parsed = ipaddress.ip_address(address)
    family = socket.AF_INET if parsed.version == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((str(parsed), 0))
        except OSError as exc:
            return exc.errno != errno.EADDRNOTAVAIL
    return True


@dataclass(frozen=True, slots=True)
class InterfaceAddress6:
    """One line of ``/proc/net/if_inet6``."""

    address: IPv6Address
    interface: str
    prefix_length: int
    scope: int
    flags: int

    @property
    def usable_next_hop(self) -> bool:
        """Global scope and neither tentative, failed nor deprecated."""
        return self.scope == _SCOPE_GLOBAL and not self.flags & _UNUSABLE \
            and not self.address.is_loopback and not self.address.is_link_local


def parse_if_inet6(text: str) -> list[InterfaceAddress6]:
    """The addresses listed in the text of ``/proc/net/if_inet6`` (malformed lines skipped)."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 6 or len(fields[0]) != 32:
            continue
        try:
            address = IPv6Address(bytes.fromhex(fields[0]))
            found.append(InterfaceAddress6(address, fields[5], int(fields[2], 16),
                                           int(fields[3], 16), int(fields[4], 16)))
        except ValueError:
            continue
    return found


def global_ipv6_address(path: Path = IF_INET6) -> IPv6Address | None:
    """A global IPv6 address of this host to give as the next hop of IPv6 routes sent over IPv4
    sessions, or ``None`` when there is none (or no IPv6 at all).

    The choice is stable: permanent addresses before temporary (privacy) ones, then the lowest.
    """
    try:
        text = path.read_text()
    except OSError:
        return None
    usable = [entry for entry in parse_if_inet6(text) if entry.usable_next_hop]
    if not usable:
        return None
    best = min(usable, key=lambda e: (bool(e.flags & _IFA_F_TEMPORARY), e.address))
    return best.address


SIOCGIFCONF = 0x8912
"""Linux ioctl: every IPv4 address of every interface, one ``struct ifreq`` each."""
_IFCONF = "iP"
"""``struct ifconf``: the buffer length, then a pointer to the buffer."""
_IFREQ_SIZE = 16 + max(16, struct.calcsize("LLHBBB0L"))
"""``struct ifreq``: the interface name (16 octets), then a union as large as ``struct ifmap``
(40 octets on 64-bit Linux, 32 on 32-bit)."""


def parse_ifconf(buffer: bytes) -> list[tuple[str, IPv4Address]]:
    """The (interface, address) pairs of the ``struct ifreq`` array SIOCGIFCONF fills in."""
    found = []
    for offset in range(0, len(buffer) - _IFREQ_SIZE + 1, _IFREQ_SIZE):
        entry = buffer[offset:offset + _IFREQ_SIZE]
        family = int.from_bytes(entry[16:18], sys.byteorder)
        if family != socket.AF_INET:
            continue
        name = entry[:16].split(b"\0", 1)[0].decode("ascii", "replace")
        found.append((name, IPv4Address(entry[20:24])))
    return found


def host_ipv4_addresses() -> list[tuple[str, IPv4Address]]:
    """Every IPv4 address on this host's interfaces, with the interface name (Linux SIOCGIFCONF,
    standard library only: no ``ip`` command, no /proc file lists IPv4 addresses plainly)."""
    size = 64 * _IFREQ_SIZE
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while True:
            buffer = array.array("B", bytes(size))
            request = struct.pack(_IFCONF, size, buffer.buffer_info()[0])
            try:
                answer = fcntl.ioctl(sock.fileno(), SIOCGIFCONF, request)
            except OSError:
                return []
            used = struct.unpack(_IFCONF, answer)[0]
            if used < size:  # a full buffer may have been cut short: ask again with more room
                return parse_ifconf(buffer.tobytes()[:used])
            size *= 2


def usable_ipv4_next_hop(address: IPv4Address) -> bool:
    """An address a router accepts as a next hop: not loopback (martian), link-local,
    multicast, broadcast or unspecified."""
    return not (address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_unspecified or address == IPv4Address("255.255.255.255"))


def global_ipv4_address(
        addresses: Callable[[], list[tuple[str, IPv4Address]]] = host_ipv4_addresses,
) -> IPv4Address | None:
    """The IPv4 address of this host to give as the next hop where the session's own address
    cannot be one (a session over 127.0.0.0/8), or ``None`` when the host has none. The choice
    is stable: the lowest usable address."""
    usable = [address for _, address in addresses() if usable_ipv4_next_hop(address)]
    return min(usable) if usable else None


def route_source_ipv4(destination: str) -> IPv4Address | None:
    """The IPv4 address the kernel would send from towards ``destination`` (``None`` for IPv6
    or no route). A UDP ``connect`` only looks the route up: no packet leaves the host."""
    try:
        target = ipaddress.ip_address(destination)
    except ValueError:
        return None
    if target.version != 4:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((str(target), 9))
        except OSError:
            return None
        source = IPv4Address(sock.getsockname()[0])
    return None if int(source) == 0 else source


def router_id_from_name(name: str) -> IPv4Address:
    """A router ID for a node with no IPv4 address to use: the first four octets of the
    SHA-256 of its name (never 0.0.0.0, which RFC 6286 forbids). Every run agrees on it."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    value = int.from_bytes(digest[:4], "big") or 1
    return IPv4Address(value)
