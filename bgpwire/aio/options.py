"""How the TCP connection of one peering is set up: ports, source address, TCP-MD5, TTL/GTSM."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from bgpwire.errors import LocalProtocolError

BGP_PORT = 179
"""RFC 4271 §8.2.1: the well-known BGP port."""

MD5_MAX_KEY_LENGTH = 80
"""Linux ``TCP_MD5SIG_MAXKEYLEN``: the longest TCP-MD5 password the kernel takes, in octets."""

MAX_TTL = 255


@dataclass(frozen=True, slots=True)
class TransportOptions:
    """Socket settings for one peer; validated on construction.

    * ``remote_port``: where we connect to (the peer's listener).
    * ``local_address`` / ``local_port``: the source of our connections (0: any port).
      ``freebind`` binds ``local_address`` even when no interface has it (yet).
    * ``md5_password``: TCP-MD5 signature (RFC 2385) on our connections; the
      :class:`~bgpwire.aio.listener.Listener` needs the same password for incoming ones.
    * ``ttl``: the IP TTL (hop limit) we send with, for eBGP multihop.
    * ``gtsm_hops``: GTSM (RFC 5082): send with TTL 255 and drop what arrives with a TTL below
      ``256 - gtsm_hops``. Exclusive with ``ttl``.
    * ``connect_timeout``: how long one connection attempt may take, in seconds.
    """

    remote_port: int = BGP_PORT
    local_address: str | None = None
    local_port: int = 0
    md5_password: str | None = None
    ttl: int | None = None
    gtsm_hops: int | None = None
    freebind: bool = False
    connect_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.remote_port <= 0xFFFF:
            _refuse("remote_port", self.remote_port, "is outside 1..65535")
        if not 0 <= self.local_port <= 0xFFFF:
            _refuse("local_port", self.local_port, "is outside 0..65535")
        if self.local_address is not None:
            try:
                ipaddress.ip_address(self.local_address)
            except ValueError:
                _refuse("local_address", self.local_address, "is not an IP address")
        if self.md5_password is not None:
            length = len(self.md5_password.encode("utf-8"))
            if not 1 <= length <= MD5_MAX_KEY_LENGTH:
                _refuse("md5_password", "***", f"must be 1..{MD5_MAX_KEY_LENGTH} octets long")
        if self.ttl is not None and not 1 <= self.ttl <= MAX_TTL:
            _refuse("ttl", self.ttl, "is outside 1..255")
        if self.gtsm_hops is not None:
            if not 1 <= self.gtsm_hops <= MAX_TTL:
                _refuse("gtsm_hops", self.gtsm_hops, "is outside 1..255")
            if self.ttl is not None:
                _refuse("gtsm_hops", self.gtsm_hops, "excludes ttl (GTSM always sends TTL 255)")
        if not self.connect_timeout > 0:
            _refuse("connect_timeout", self.connect_timeout, "must be positive")


def _refuse(name: str, value: object, reason: str) -> None:
    raise LocalProtocolError(f"TransportOptions.{name} = {value!r} {reason}")
