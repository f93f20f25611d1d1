"""Linux socket options a BGP speaker needs, one small function each.

Every failure is a :class:`~bgpwire.errors.LocalProtocolError` naming the setting, its value
and the reason, with the :class:`OSError` as its cause. ``peer`` arguments are the peer's
address as text; on an IPv6 socket an IPv4 peer is reached as an IPv4-mapped address, and the
IPv4 options then apply.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct

from bgpwire.aio.options import MAX_TTL, MD5_MAX_KEY_LENGTH, TransportOptions
from bgpwire.errors import LocalProtocolError

TCP_MD5SIG = 14
"""``<linux/tcp.h>``; takes a ``struct tcp_md5sig``."""
IP_MINTTL = 21
IPV6_MINHOPCOUNT = 73
IP_FREEBIND = 15
IPV6_FREEBIND = 78

_SOCKADDR_STORAGE = 128
_MD5SIG_TAIL = struct.Struct("=BBHI")  # flags, prefixlen, keylen, ifindex; then key[80]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(name: str, value: str) -> IPAddress:
    """``value`` as an address, IPv4-mapped IPv6 turned into IPv4; ``name`` is for the error."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError as exc:
        raise LocalProtocolError(f"{name} {value}: not an IP address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalize_address(value: str) -> str:
    """The canonical text of an address (``::ffff:192.0.2.1`` becomes ``192.0.2.1``)."""
    return str(parse_address("address", value))


def family_of(address: str) -> socket.AddressFamily:
    """The family of a socket for ``address`` as written (``::ffff:a.b.c.d`` is IPv6)."""
    try:
        version = ipaddress.ip_address(address.split("%", 1)[0]).version
    except ValueError as exc:
        raise LocalProtocolError(f"address {address}: not an IP address") from exc
    return socket.AF_INET if version == 4 else socket.AF_INET6


def _ipv4_level(sock: socket.socket, peer: str) -> bool:
    """Whether the IPv4 options apply to traffic between ``sock`` and ``peer``."""
    return sock.family == socket.AF_INET or parse_address("peer", peer).version == 4


def _setsockopt(sock: socket.socket, level: int, option: int, value: int | bytes,
                *, name: str, shown: object) -> None:
    try:
        sock.setsockopt(level, option, value)
    except OSError as exc:
        if exc.errno in (errno.ENOPROTOOPT, errno.ENOENT, errno.EOPNOTSUPP):
            reason = "not supported by this kernel"
        elif exc.errno in (errno.EPERM, errno.EACCES):
            reason = "not permitted (needs CAP_NET_ADMIN)"
        else:
            reason = exc.strerror or str(exc)
        raise LocalProtocolError(f"{name} {shown}: {reason}") from exc


def _md5_sockaddr(sock: socket.socket, peer: IPAddress) -> bytes:
    if sock.family == socket.AF_INET:
        if peer.version != 4:
            raise LocalProtocolError(f"md5_password for {peer}: an IPv4 socket cannot reach it")
        raw = struct.pack("=H2x4s", socket.AF_INET, peer.packed)
    else:
        mapped = peer if peer.version == 6 else ipaddress.IPv6Address(f"::ffff:{peer}")
        raw = struct.pack("=H2xI16sI", socket.AF_INET6, 0, mapped.packed, 0)
    return raw.ljust(_SOCKADDR_STORAGE, b"\0")


def set_md5(sock: socket.socket, peer: str, password: str | None) -> None:
    """Sign (and require signatures on) segments to and from ``peer`` (RFC 2385).

    On a listening socket, call once per peer. ``None`` removes the key.
    """
    key = (password or "").encode("utf-8")
    if len(key) > MD5_MAX_KEY_LENGTH:
        raise LocalProtocolError(
            f"md5_password for {peer}: longer than {MD5_MAX_KEY_LENGTH} octets")
    value = (_md5_sockaddr(sock, parse_address("peer", peer))
             + _MD5SIG_TAIL.pack(0, 0, len(key), 0) + key.ljust(MD5_MAX_KEY_LENGTH, b"\0"))
    _setsockopt(sock, socket.IPPROTO_TCP, TCP_MD5SIG, value, name="md5_password for", shown=peer)


def set_ttl(sock: socket.socket, peer: str, ttl: int) -> None:
    """The TTL (IPv4) or hop limit (IPv6) of what we send, e.g. for eBGP multihop."""
    if not 1 <= ttl <= MAX_TTL:
        raise LocalProtocolError(f"ttl {ttl}: outside 1..255")
    if _ipv4_level(sock, peer):
        _setsockopt(sock, socket.IPPROTO_IP, socket.IP_TTL, ttl, name="ttl", shown=ttl)
    else:
        _setsockopt(sock, socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl, name="ttl", shown=ttl)


def set_gtsm(sock: socket.socket, peer: str, hops: int) -> None:
    """GTSM (RFC 5082 §3): send with TTL 255, accept only TTL >= 256 - ``hops``."""
    if not 1 <= hops <= MAX_TTL:
        raise LocalProtocolError(f"gtsm_hops {hops}: outside 1..255")
    set_ttl(sock, peer, MAX_TTL)
    minimum = MAX_TTL - hops + 1
    if _ipv4_level(sock, peer):
        _setsockopt(sock, socket.IPPROTO_IP, IP_MINTTL, minimum, name="gtsm_hops", shown=hops)
    else:
        _setsockopt(sock, socket.IPPROTO_IPV6, IPV6_MINHOPCOUNT, minimum,
                    name="gtsm_hops", shown=hops)


def set_nodelay(sock: socket.socket) -> None:
    """Send small messages (KEEPALIVE, NOTIFICATION) at once instead of waiting (Nagle)."""
    _setsockopt(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1, name="TCP_NODELAY", shown=1)


def set_freebind(sock: socket.socket) -> None:
    """Allow binding an address no interface has (yet)."""
    if sock.family == socket.AF_INET:
        _setsockopt(sock, socket.IPPROTO_IP, IP_FREEBIND, 1, name="freebind", shown=True)
    else:
        _setsockopt(sock, socket.IPPROTO_IPV6, IPV6_FREEBIND, 1, name="freebind", shown=True)


def bind_source(sock: socket.socket, address: str, port: int = 0, *,
                freebind: bool = False, name: str = "local_address") -> None:
    """Bind ``sock`` to ``address``:``port``, with a clear error when that is impossible."""
    parse_address(name, address)
    if freebind:
        set_freebind(sock)
    try:
        sock.bind((address, port))
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            reason = "not an address of this host (use freebind to bind anyway)"
        elif exc.errno == errno.EADDRINUSE:
            reason = f"port {port} is already in use"
        elif exc.errno == errno.EACCES:
            reason = f"port {port} needs privileges"
        elif exc.errno == errno.EAFNOSUPPORT or isinstance(exc, socket.gaierror):
            reason = "not of the socket's address family"
        else:
            reason = exc.strerror or str(exc)
        raise LocalProtocolError(f"{name} {address}: {reason}") from exc


def connecting_socket(peer: str, options: TransportOptions) -> socket.socket:
    """A non-blocking TCP socket towards ``peer`` with every option of ``options`` applied."""
    family = family_of(peer)
    local = options.local_address
    if local is not None and family_of(local) != family:
        raise LocalProtocolError(
            f"local_address {local}: not of the address family of the peer {peer}")
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        set_nodelay(sock)
        if local is not None or options.local_port:
            bind_source(sock, local or ("0.0.0.0" if family == socket.AF_INET else "::"),
                        options.local_port, freebind=options.freebind)
        if options.md5_password is not None:
            set_md5(sock, peer, options.md5_password)
        apply_ttl(sock, peer, options)
    except BaseException:
        sock.close()
        raise
    return sock


def apply_ttl(sock: socket.socket, peer: str, options: TransportOptions) -> None:
    """The ``ttl`` or ``gtsm_hops`` of ``options``, if any, on a connected or accepted socket."""
    if options.gtsm_hops is not None:
        set_gtsm(sock, peer, options.gtsm_hops)
    elif options.ttl is not None:
        set_ttl(sock, peer, options.ttl)
