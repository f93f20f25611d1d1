"""Accepting BGP connections: :class:`Listener`.

RFC 4271 §8.2.1 leaves it to the speaker which connections to accept. Here a connection from
an address without a :class:`~bgpwire.aio.session.PeerSession` is closed at once; every other
one is handed to that peer's session, which resolves a collision with a connection it already
has (see :mod:`bgpwire.aio.session`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable, Mapping

from bgpwire.aio import sockopts
from bgpwire.aio.options import BGP_PORT, MAX_TTL
from bgpwire.aio.session import PeerSession
from bgpwire.errors import LocalProtocolError

log = logging.getLogger("bgpwire.aio")

Lookup = Callable[[str], "PeerSession | None"]


class Listener:
    """Listens on ``host``:``port`` and hands each connection to its peer's session.

    ``sessions`` maps a peer address to its session, or is a function that returns the session
    for an address (or ``None``). Addresses are compared normalized: an IPv4 peer on an IPv6
    socket (``::ffff:192.0.2.1``) is found as ``192.0.2.1``. ``md5_passwords`` gives the
    TCP-MD5 password per peer address; when it is not given and ``sessions`` is a mapping, each
    session's ``options.md5_password`` is used. Port 0 picks a free port (see :attr:`port`).

    ``send_ttl`` is the TTL of what the listening socket sends before a connection is handed
    over (the SYN-ACK); it defaults to 255 when a session of the mapping uses GTSM, since the
    peer's minimum TTL applies to that segment too. The minimum TTL we require is set per peer
    on the accepted connection, so GTSM does not filter the SYN itself.
    """

    def __init__(self, sessions: Mapping[str, PeerSession] | Lookup, host: str = "0.0.0.0",
                 port: int = BGP_PORT, *, md5_passwords: Mapping[str, str] | None = None,
                 send_ttl: int | None = None, backlog: int = 64) -> None:
        self.host = host
        self.backlog = backlog
        self._requested_port = port
        self.send_ttl = send_ttl
        if callable(sessions):
            self._lookup: Lookup = sessions
            passwords = dict(md5_passwords or {})
        else:
            table = {sockopts.normalize_address(addr): peer for addr, peer in sessions.items()}
            self._lookup = table.get
            if send_ttl is None and any(p.options.gtsm_hops for p in table.values()):
                self.send_ttl = MAX_TTL
            passwords = dict(md5_passwords) if md5_passwords is not None else {
                addr: peer.options.md5_password for addr, peer in table.items()
                if peer.options.md5_password is not None}
        self._passwords = {sockopts.normalize_address(a): pw for a, pw in passwords.items()}
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self.refused = 0
        """How many connections came from addresses without a session."""

    @property
    def port(self) -> int:
        """The port listened on (the one picked, when asked for port 0)."""
        if self._sock is None:
            raise LocalProtocolError("the listener is not started")
        return int(self._sock.getsockname()[1])

    async def start(self) -> None:
        family = sockopts.family_of(self.host)
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sockopts.bind_source(sock, self.host, self._requested_port, name="listen address")
            if self.send_ttl is not None:
                sockopts.set_ttl(sock, "0.0.0.0", self.send_ttl)  # IPv4 (mapped) peers
                if family == socket.AF_INET6:
                    sockopts.set_ttl(sock, "::", self.send_ttl)
            for peer, password in self._passwords.items():
                sockopts.set_md5(sock, peer, password)
            sock.listen(self.backlog)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._task = asyncio.get_running_loop().create_task(self._serve(sock))

    def set_md5_password(self, peer: str, password: str | None) -> None:
        """Require TCP-MD5 with ``password`` on connections from ``peer`` (``None``: stop).

        For a listener whose ``sessions`` is a function, peers are not known in advance: the
        program registers each one's password here, before its first SYN can arrive. A peer
        with a password connecting unsigned, or with another key, is then dropped by the
        kernel. Applies at once when the listener runs, and to :meth:`start` otherwise.
        """
        address = sockopts.normalize_address(peer)
        if password is None and address not in self._passwords:
            return  # the kernel refuses to remove a key it does not have
        if self._sock is not None:
            sockopts.set_md5(self._sock, address, password)
        if password is None:
            self._passwords.pop(address, None)
        else:
            self._passwords[address] = password

    async def close(self) -> None:
        """Stop accepting; sessions and their connections are left alone."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _serve(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, address = await loop.sock_accept(sock)
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("accept on %s: %s", self.host, exc)
                    await asyncio.sleep(0.5)
                    continue
                raise
            self._hand_over(conn, address[0])

    def _hand_over(self, conn: socket.socket, address: str) -> None:
        peer = sockopts.normalize_address(address)
        session = self._lookup(peer)
        if session is None:
            self.refused += 1
            log.info("refused a connection from %s: no session for it", peer)
            conn.close()
            return
        try:
            session.accept(conn)
        except LocalProtocolError as exc:
            log.warning("connection from %s dropped: %s", peer, exc)
