"""One :class:`~bgpwire.fsm.Session` driven over asyncio: the aioquic-style pump.

After every input (connection made, data received, connection lost, timer, a call of the
program) :meth:`SessionDriver.pump` writes :meth:`Session.data_to_send`, carries out
:class:`ConnectRequested` and :class:`CloseRequested`, hands the other events to ``sink`` as
lists (one per pump as a rule: a table arrives as thousands of events, and one call for all of
them spares a call each) and re-arms the one ``loop.call_at`` timer for
:meth:`Session.next_deadline`.

Received bytes go to the session as they come, with the number of messages it may handle
now: those whose events fit in the room ``room()`` reports (a message makes at most
:data:`MAX_EVENTS_PER_MESSAGE`). The others wait in the session, already cut, and reading is
paused until :meth:`SessionDriver.feed` is called again (after the program took events). So the
peer can make us hold at most one read's worth of messages, whatever it sends.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from bgpwire.aio import sockopts
from bgpwire.aio.options import TransportOptions
from bgpwire.errors import LocalProtocolError
from bgpwire.fsm import CloseRequested, ConnectRequested, Event, Session, State

log = logging.getLogger("bgpwire.aio")

_REQUESTS = frozenset({ConnectRequested, CloseRequested})
"""The events the driver carries out itself instead of handing them to the sink."""

MAX_EVENTS_PER_MESSAGE = 3
"""The most events one received message makes (NOTIFICATION: NotificationReceived,
StateChanged, SessionDown); requests to the adapter are not counted."""

CLOSE_TIMEOUT = 10.0
"""How long a closing connection may take to flush what we wrote before it is aborted."""


class _Connection(asyncio.Protocol):
    """The asyncio side of one TCP connection; forwards everything to its driver."""

    def __init__(self, driver: SessionDriver, outbound: bool) -> None:
        self.driver = driver
        self.outbound = outbound
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self.abort_timer: asyncio.TimerHandle | None = None
        """Aborts a closing connection that does not finish flushing; cancelled once it is gone,
        so that the timer does not keep the transport alive for CLOSE_TIMEOUT."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.driver.made(self)

    def data_received(self, data: bytes) -> None:
        self.driver.received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.abort_timer is not None:
            self.abort_timer.cancel()
            self.abort_timer = None
        if not self.closed.done():
            self.closed.set_result(None)
        self.driver.lost(self)

    def pause_writing(self) -> None:
        self.driver.writing_paused(self, True)

    def resume_writing(self) -> None:
        self.driver.writing_paused(self, False)


class SessionDriver:
    """Runs ``session`` over one connection at a time to ``peer``."""

    def __init__(self, session: Session, peer: str, options: TransportOptions,
                 sink: Callable[[list[Event]], None], room: Callable[[], int]) -> None:
        self.session = session
        self.peer = peer
        self.options = options
        self.sink = sink
        self.room = room
        self.last_error: BaseException | None = None
        """The last reason a connection attempt failed, for the program to show."""
        self.reading_paused = False
        self._loop = asyncio.get_running_loop()
        self._conn: _Connection | None = None
        self._pending: _Connection | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._closing: set[_Connection] = set()
        self._timer: asyncio.TimerHandle | None = None
        self.hold_in_open_confirm = False
        """For a colliding connection: stop reading at the peer's OPEN and keep what the session
        writes in OpenConfirm (its KEEPALIVE) until the collision is resolved, so neither side
        reaches Established on a connection about to be closed."""
        self._held_output = bytearray()

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._conn.transport if self._conn is not None else None

    @property
    def busy(self) -> bool:
        """Whether a connection is up or being made (an incoming one then collides)."""
        return self._conn is not None or self._connecting is not None

    @property
    def closing(self) -> bool:
        """Whether a connection is still being closed."""
        return bool(self._closing)

    def now(self) -> float:
        return self._loop.time()

    # --- the pump -----------------------------------------------------------------------------

    def pump(self) -> None:
        data = self.session.data_to_send()
        if self.hold_in_open_confirm and self.session.state is State.OPEN_CONFIRM:
            self._held_output += data
            data = b""
        elif self._held_output:
            data = bytes(self._held_output) + data
            self._held_output.clear()
        if data and self._conn is not None and self._conn.transport is not None:
            self._conn.transport.write(data)
        events = self.session.next_events()
        if events:
            if _REQUESTS.isdisjoint(map(type, events)):  # nearly always: one call for them all
                self.sink(events)
            else:
                self._carry_out(events)
        self._arm_timer()

    def _carry_out(self, events: list[Event]) -> None:
        """Hand ``events`` to the sink, carrying out the requests among them in their place."""
        news: list[Event] = []
        for event in events:
            kind = type(event)
            if kind not in _REQUESTS:
                news.append(event)
                continue
            if news:
                self.sink(news)
                news = []
            if kind is ConnectRequested:
                self._connect()
            else:
                self.close()
        if news:
            self.sink(news)

    def drop_held_output(self) -> None:
        self._held_output.clear()
        self.hold_in_open_confirm = False

    def _arm_timer(self) -> None:
        deadline = self.session.next_deadline()
        if self._timer is not None:
            if self._timer.when() == deadline:
                return
            self._timer.cancel()
        self._timer = None if deadline is None else self._loop.call_at(deadline, self._expired)

    def _expired(self) -> None:
        assert self._timer is not None
        when, self._timer = self._timer.when(), None
        self.session.handle_timers(max(self.now(), when))
        self.pump()

    # --- connections --------------------------------------------------------------------------

    def _connect(self) -> None:
        self._cancel_connecting()
        self._connecting = self._loop.create_task(self._open())

    async def _open(self) -> None:
        conn = self._pending = _Connection(self, outbound=True)
        sock: socket.socket | None = None
        try:
            sock = sockopts.connecting_socket(self.peer, self.options)
            async with asyncio.timeout(self.options.connect_timeout):
                await self._loop.sock_connect(sock, (self.peer, self.options.remote_port))
                await self._loop.create_connection(lambda: conn, sock=sock)
        except (OSError, LocalProtocolError) as exc:
            if sock is not None:
                sock.close()
            log.info("connection to %s failed: %s", self.peer, exc)
            self.last_error = exc
            self._connecting = self._pending = None
            self.session.connection_failed(self.now())
            self.pump()
        except asyncio.CancelledError:
            if sock is not None:
                sock.close()
            raise

    def attach(self, sock: socket.socket) -> None:
        """Run the session over ``sock``, a connection the peer opened to us."""
        self._cancel_connecting()
        conn = self._pending = _Connection(self, outbound=False)

        async def adopt() -> None:
            try:
                await self._loop.connect_accepted_socket(lambda: conn, sock)
            except OSError as exc:
                sock.close()
                self.last_error = exc
                self._connecting = self._pending = None

        self._connecting = self._loop.create_task(adopt())

    def _cancel_connecting(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        self._connecting = self._pending = None

    def made(self, conn: _Connection) -> None:
        if conn is not self._pending or conn.transport is None:
            if conn.transport is not None:
                conn.transport.abort()
            return
        self._connecting = self._pending = None
        self._conn = conn
        self.session.connection_made(self.now(), outbound=conn.outbound)
        self.pump()

    def received(self, conn: _Connection, data: bytes) -> None:
        if conn is self._conn:
            self.feed(data)

    def feed(self, data: bytes = b"") -> None:
        """Hand the session ``data``, and let it handle as many of the messages received as
        the room for their events allows; reading pauses while messages wait."""
        session = self.session
        while self._conn is not None:
            limit = max(self.room() // MAX_EVENTS_PER_MESSAGE - 1, 0)
            if self.hold_in_open_confirm:
                # One message at a time, and none once the OPEN put the session in
                # OpenConfirm, until the collision is resolved.
                limit = 0 if session.state is State.OPEN_CONFIRM else min(limit, 1)
            session.receive_data(data, self.now(), max_messages=limit)
            data = b""
            self.pump()
            if not limit or not session.waiting_messages:
                break
        self._pause_reading(self._conn is not None and session.waiting_messages > 0)

    def _pause_reading(self, pause: bool) -> None:
        transport = self.transport
        if pause == self.reading_paused or transport is None:
            return
        self.reading_paused = pause
        if pause:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def lost(self, conn: _Connection) -> None:
        self._closing.discard(conn)
        if conn is self._pending:
            self._pending = None
        if conn is not self._conn:
            return
        self._conn = None
        self.reading_paused = False
        self.session.connection_lost(self.now())
        self.pump()

    def writing_paused(self, conn: _Connection, paused: bool) -> None:
        if conn is not self._conn:
            return
        if paused:
            self.session.output_blocked(self.now())
        else:
            self.session.output_drained(self.now())
        self._arm_timer()

    def close(self) -> None:
        """Close the connection (after what was written) or give up the attempt."""
        self._cancel_connecting()
        conn, self._conn = self._conn, None
        self.reading_paused = False
        if conn is None or conn.transport is None:
            return
        self._closing.add(conn)
        conn.transport.close()
        conn.abort_timer = self._loop.call_later(CLOSE_TIMEOUT, conn.transport.abort)

    async def wait_closed(self, timeout: float) -> None:
        """Wait until closing connections are gone; abort those still there after ``timeout``."""
        waiting = [conn.closed for conn in self._closing]
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=timeout)
            if late:
                for conn in list(self._closing):
                    if conn.transport is not None:
                        conn.transport.abort()
                await asyncio.wait(late, timeout=1.0)

    def dispose(self) -> None:
        """Stop everything at once (a collision loser that never reached the program)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._cancel_connecting()
        if self._conn is not None and self._conn.transport is not None:
            self._conn.transport.abort()
        self._conn = None
