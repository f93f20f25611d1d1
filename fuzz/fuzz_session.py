"""Fuzz the sans-IO state machine, bgpwire.fsm.Session, with arbitrary sequences of inputs.

The input is a script (see :class:`Script`): a byte choosing the local configuration, then
operations: start, stop, connection made / failed / lost, raw bytes received (with or without
a cap on the messages handled, ``max_messages``), waiting messages handled, a stock message
received (whole, cut short, with a byte changed, or in two pieces), the clock moved (to the next
deadline, just before it, or by an arbitrary amount) with the due timers fired, output blocked or
drained, an UPDATE or ROUTE-REFRESH sent, a collision closed, and AutomaticStart or an already
decoded message fired directly. Stock messages are every message of the test vectors and of
``make_corpus.py``'s hand-made set, plus OPENs from peers that match the configuration, and some
that do not.

Invariants, after every operation:

* nothing raises but :class:`~bgpwire.errors.LocalProtocolError`, and that only from the calls
  documented to refuse misuse (``send_*``, ``stop`` with a reason that is no valid text,
  ``fire`` with an input that needs another message); a refused ``send_update`` queues nothing;
* ``state`` is a :class:`~bgpwire.fsm.State`; Established has a negotiation and a connection,
  only OpenConfirm and Established have a negotiation, and Idle has no connection;
* the :class:`StateChanged` events chain from the state before the call to the state after it;
* every byte the session asks to send decodes as whole BGP messages (UPDATEs only from
  ``send_update``), on a connection the adapter was told to have, starting with our OPEN;
* after ``handle_timers(now)`` no timer is due at ``now``, and every deadline is finite;
* a twin session with ``update_runs``, given the same calls, does the same: the same bytes to
  send, state, timers and messages held back, and the same events once each
  :class:`UpdateRunReceived` is replaced by the ``UpdateReceived`` of each UPDATE in it.

Run: python fuzz/fuzz_session.py [corpus dirs] [libFuzzer flags]  (see fuzz/README.md)
     python fuzz/fuzz_session.py --seeds DIR     writes the seed scripts to DIR
"""

from __future__ import annotations

import hashlib
import math
import struct
import sys
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address
from pathlib import Path

import atheris
import make_corpus

with atheris.instrument_imports():
    from bgpwire.constants import (
        MAX_EXTENDED_MESSAGE_LENGTH,
        CeaseSubcode,
        RouteRefreshSubtype,
    )
    from bgpwire.context import Negotiated
    from bgpwire.errors import LocalProtocolError, ProtocolError
    from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
    from bgpwire.framer import Framer
    from bgpwire.fsm import (
        Event,
        GracefulRestartConfig,
        Input,
        PeerConfig,
        Session,
        State,
        StateChanged,
        UpdateReceived,
        UpdateRunReceived,
        build_open,
    )
    from bgpwire.messages import Keepalive, Message, Notification, Open, RouteRefresh, Update
    from bgpwire.messages import decode as decode_message
    from bgpwire.messages.capabilities import AddPathMode

LOCAL_AS, PEER_AS = 65001, 65002
LOCAL_ID, PEER_ID = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")
WIDE = Negotiated(extended_message=True)
"""Decodes anything but UPDATEs whatever was negotiated: only the size limit matters to them."""


# --- the script -------------------------------------------------------------------------------


class Script:
    """Reads the input front to back; past its end every number is 0 and every string empty."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def u8(self) -> int:
        value = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return value

    def u16(self) -> int:
        return (self.u8() << 8) | self.u8()

    def u32(self) -> int:
        return (self.u16() << 16) | self.u16()

    def take(self, size: int) -> bytes:
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk


def local_config(selector: int) -> PeerConfig:
    """One of 256 configurations, one feature per bit."""
    return PeerConfig(
        local_as=LOCAL_AS,
        peer_as=None if selector & 0x01 else PEER_AS,
        router_id=LOCAL_ID,
        hold_time=(90, 0, 3, 180)[(selector >> 1) & 0x03],
        delay_open_time=2.0 if selector & 0x08 else 0.0,
        passive=bool(selector & 0x10),
        auto_restart=bool(selector & 0x20),
        idle_hold_time=0.0 if selector & 0x40 else 5.0,
        extended_message=bool(selector & 0x80),
        add_path=((IPV4_UNICAST, AddPathMode.BOTH),) if selector & 0x80 else (),
        enhanced_route_refresh=bool(selector & 0x40),
        graceful_restart=GracefulRestartConfig() if selector & 0x02 else None,
        send_hold_time=None if selector & 0x04 else 30.0,
    )


def peer_opens() -> list[bytes]:
    """OPENs a peer might send: matching ones of several kinds, and wrong ones."""
    base = PeerConfig(local_as=PEER_AS, peer_as=LOCAL_AS, router_id=PEER_ID)
    good = [
        base,
        replace(base, hold_time=0),
        replace(base, hold_time=3),
        replace(base, extended_message=True, add_path=((IPV4_UNICAST, AddPathMode.BOTH),)),
        replace(base, enhanced_route_refresh=True, graceful_restart=GracefulRestartConfig()),
        replace(base, families=(IPV4_UNICAST,), route_refresh=False),
    ]
    wrong = [
        replace(base, local_as=64999),  # Bad Peer AS (unless any AS is accepted)
        replace(base, local_as=LOCAL_AS, router_id=LOCAL_ID),  # iBGP with our identifier
    ]
    opens = [build_open(config).encode() for config in (*good, *wrong)]
    two_octet = Open(version=4, my_as=PEER_AS, hold_time=90, bgp_identifier=PEER_ID)
    return [*opens, two_octet.encode()]


def stock_messages() -> list[bytes]:
    """Peer OPENs first, then KEEPALIVE, then every vector and hand-made message."""
    stock = [*peer_opens(), Keepalive().encode()]
    for path in sorted(make_corpus.VECTORS.rglob("*.bin")):
        stock += make_corpus.cut(path.read_bytes())
    for path in sorted(make_corpus.VECTORS.rglob("*.hex")):
        stock += make_corpus.cut(make_corpus.read_hex(path))
    stock += make_corpus.hand_made()
    return list(dict.fromkeys(stock))


STOCK = stock_messages()
OPEN_COUNT = len(peer_opens())


def stock_updates() -> list[Update]:
    """The UPDATEs of the stock, decoded (with ADD-PATH where that is how they decode)."""
    updates: list[Update] = []
    for raw in STOCK:
        for ctx in (WIDE, Negotiated(extended_message=True,
                                     add_path=frozenset({IPV4_UNICAST, IPV6_UNICAST}))):
            try:
                message = decode_message(raw, ctx)
            except ProtocolError:
                continue
            if isinstance(message, Update):
                updates.append(message)
                break
    return updates


UPDATES = stock_updates()


def decoded_stock(kind: type[Message]) -> list[Message]:
    found: list[Message] = []
    for raw in STOCK:
        try:
            message = decode_message(raw, WIDE)
        except ProtocolError:
            continue
        if isinstance(message, kind):
            found.append(message)
    return found


MESSAGE_FOR_INPUT: dict[Input, list[Message]] = {
    Input.BGP_OPEN: decoded_stock(Open),
    Input.UPDATE_MSG: list(UPDATES),
    Input.NOTIF_MSG: decoded_stock(Notification),
    Input.KEEPALIVE_MSG: [Keepalive()],
    Input.ROUTE_REFRESH_MSG: decoded_stock(RouteRefresh),
}
FIRED_INPUTS = [Input.AUTOMATIC_START, *MESSAGE_FOR_INPUT]
"""What ``fire`` is given directly: the start no other method makes, and messages already
decoded. Timer and connection inputs come only through their methods, as the adapter makes
them: a timer's expiry fired while the timer is not running is no input the adapter can make."""
STOP_SUBCODES = list(CeaseSubcode)
FAMILIES = (IPV4_UNICAST, IPV6_UNICAST)


# --- the run ----------------------------------------------------------------------------------


class Run:
    """One session under one script, with the harness's view of the connection."""

    def __init__(self, config: PeerConfig) -> None:
        self.now = 1000.0
        self.session = Session(config, now=self.now, rng=lambda: 0.5)
        self.twin = Session(config, now=self.now, rng=lambda: 0.5, update_runs=True)
        self.first_message_pending = False
        """A new connection: the next message we send must be our OPEN."""

    def call(self, action: Callable[[Session], None], *, may_refuse: bool = False,
             sends_updates: bool = False) -> None:
        session = self.session
        before = session.state
        was_connected = session.connected
        negotiation = session.negotiation
        ctx = replace(negotiation.send_ctx, extended_message=True) if negotiation else WIDE
        refused = twin_refused = False
        try:
            action(session)
        except LocalProtocolError:
            if not may_refuse:
                raise
            refused = True
            assert session.state is before, (before, session.state)
        try:
            action(self.twin)
        except LocalProtocolError:
            twin_refused = True
        assert refused == twin_refused, (refused, twin_refused)
        data = session.data_to_send()
        events = session.next_events()
        self.check_twin(data, events)
        self.check_state(before, events)
        if session.connected and not was_connected:
            self.first_message_pending = True
        if data:
            assert was_connected or session.connected, "bytes to send without a connection"
            self.check_output(data, ctx, sends_updates)
        for deadline in session.timers.values():
            assert math.isfinite(deadline), session.timers

    def check_twin(self, data: bytes, events: list[Event]) -> None:
        session, twin = self.session, self.twin
        assert twin.data_to_send() == data
        flat: list[Event] = []
        for event in twin.next_events():
            if isinstance(event, UpdateRunReceived):
                flat.extend(UpdateReceived(update) for update in event.updates)
            else:
                flat.append(event)
        assert flat == events, (flat, events)
        assert (twin.state, twin.timers, twin.waiting_messages) == (
            session.state, session.timers, session.waiting_messages)

    def check_state(self, before: State, events: list[Event]) -> None:
        session = self.session
        state = session.state
        assert isinstance(state, State), state
        if state is State.ESTABLISHED:
            assert session.negotiation is not None and session.connected
        if session.negotiation is not None:
            assert state in (State.OPEN_CONFIRM, State.ESTABLISHED), state
        if state is State.IDLE:
            assert not session.connected
        current = before
        for event in events:
            if isinstance(event, StateChanged):
                assert event.old is current, (event, current)
                assert event.new is not event.old, event
                current = event.new
        assert current is state, (current, state, events)

    def check_output(self, data: bytes, ctx: Negotiated, sends_updates: bool) -> None:
        framer = Framer(MAX_EXTENDED_MESSAGE_LENGTH)
        raws = framer.feed(data)
        assert framer.pending == 0 and framer.error is None, "a partial message was sent"
        for raw in raws:
            message = decode_message(raw, ctx)  # a ProtocolError here is a finding
            if self.first_message_pending:
                assert isinstance(message, Open), f"{type(message).__name__} before our OPEN"
                self.first_message_pending = False
            if isinstance(message, Update):
                assert sends_updates, "an UPDATE sent by something other than send_update"

    # --- operations ---------------------------------------------------------------------------

    def step(self, script: Script) -> None:
        op = script.u8() % 15
        now = self.now
        if op == 0:
            flags = script.u8()
            passive = None if flags & 1 else bool(flags & 2)
            self.call(lambda s: s.start(now, passive=passive))
        elif op == 1:
            subcode = STOP_SUBCODES[script.u8() % len(STOP_SUBCODES)]
            reason = script.take(script.u8()).decode("utf-8", "surrogateescape")
            self.call(lambda s: s.stop(now, reason=reason, subcode=subcode), may_refuse=True)
        elif op == 2:
            choice = script.u8() % 3
            outbound = None if choice == 0 else choice == 1
            self.call(lambda s: s.connection_made(now, outbound=outbound))
        elif op in (3, 4):
            self.call(lambda s: (s.connection_failed if op == 3 else s.connection_lost)(now))
        elif op == 5:
            data = script.take(script.u16() % 4200)
            cap = script.u8()
            limit = None if cap & 0x80 else cap % 8
            self.call(lambda s: s.receive_data(data, now, max_messages=limit))
        elif op == 6:
            self.receive_stock(script)
        elif op == 7:
            self.advance(script)
        elif op == 8:
            self.call(lambda s: s.output_blocked(now))
        elif op == 9:
            self.call(lambda s: s.output_drained(now))
        elif op == 10:
            update = UPDATES[script.u16() % len(UPDATES)]
            with_now = bool(script.u8() & 1)
            self.call(lambda s: s.send_update(update, now if with_now else None),
                      may_refuse=True, sends_updates=True)
        elif op == 11:
            family = FAMILIES[script.u8() % 2]
            subtype = list(RouteRefreshSubtype)[script.u8() % len(RouteRefreshSubtype)]
            self.call(lambda s: s.send_route_refresh(family, subtype), may_refuse=True)
        elif op == 12:
            self.call(lambda s: s.close_collision(now))
        elif op == 13:
            self.fire(script)
        else:  # messages held back by an earlier cap, a few at a time
            limit = script.u8() % 4
            self.call(lambda s: s.receive_data(b"", now, max_messages=limit))

    def receive_stock(self, script: Script) -> None:
        now = self.now
        raw = bytearray(STOCK[script.u16() % len(STOCK)])
        how = script.u8() % 4
        if how == 1:
            del raw[script.u16() % (len(raw) + 1):]
        elif how == 2:
            raw[script.u16() % len(raw)] = script.u8()
        if how == 3:
            cut = script.u16() % (len(raw) + 1)
            self.call(lambda s: s.receive_data(bytes(raw[:cut]), now))
            self.call(lambda s: s.receive_data(bytes(raw[cut:]), now))
        else:
            self.call(lambda s: s.receive_data(bytes(raw), now))

    def advance(self, script: Script) -> None:
        session = self.session
        mode = script.u8() % 4
        deadline = session.next_deadline()
        if mode == 0 and deadline is not None:
            self.now = max(self.now, deadline)
        elif mode == 1 and deadline is not None:
            self.now = max(self.now, math.nextafter(deadline, -math.inf))
        elif mode == 2:
            self.now += script.u16() / 1000
        else:
            self.now += float(script.u32())
        now = self.now
        self.call(lambda s: s.handle_timers(now))
        assert all(deadline > now for deadline in session.timers.values()), (now, session.timers)

    def fire(self, script: Script) -> None:
        now = self.now
        inp = FIRED_INPUTS[script.u8() % len(FIRED_INPUTS)]
        choices = MESSAGE_FOR_INPUT.get(inp, [])
        pick = script.u16()
        message = choices[pick % len(choices)] if choices else None
        self.call(lambda s: s.fire(inp, now, message),
                  may_refuse=message is None and inp in MESSAGE_FOR_INPUT)


def test_one_input(data: bytes) -> None:
    script = Script(data)
    run = Run(local_config(script.u8()))
    steps = 0
    while not script.done and steps < 200:
        run.step(script)
        steps += 1


# --- seeds ------------------------------------------------------------------------------------


def _op(code: int, *args: int, payload: bytes = b"") -> bytes:
    return bytes((code, *args)) + payload


def _stock(index: int, how: int = 0, arg: int = 0) -> bytes:
    return _op(6, index >> 8, index & 0xFF, how) + struct.pack("!H", arg) * (how != 0)


def seed_scripts() -> list[bytes]:
    """Scripts that reach each state and then do something there: the seeds of the harness."""
    start, made = _op(0, 0), _op(2, 1)
    to_deadline, keepalive = _op(7, 0), _stock(OPEN_COUNT)
    establish = start + made + _stock(0) + keepalive
    updates = b"".join(_stock(i) for i in range(OPEN_COUNT + 1, len(STOCK)))
    sends = b"".join(_op(10, i >> 8, i & 0xFF, 1) for i in range(len(UPDATES)))
    scripts = [
        bytes((0x00,)) + establish + updates,
        bytes((0x00,)) + establish + sends + _op(11, 0, 0) + _op(11, 1, 1),
        bytes((0x00,)) + establish + to_deadline * 4 + _op(8) + to_deadline * 3,
        bytes((0x08,)) + start + made + _stock(0) + keepalive + updates[:400],  # DelayOpen
        bytes((0x10,)) + start + _op(2, 2) + _stock(3) + keepalive + _op(1, 2, 4) + b"bye.",
        bytes((0x22,)) + start + made + to_deadline * 6,  # no OPEN: hold timer, restarts
        bytes((0x80,)) + establish.replace(_stock(0), _stock(3)) + updates,
        bytes((0x00,)) + start + made + _stock(6) + to_deadline,  # Bad Peer AS
        bytes((0x00,)) + establish + _op(12) + start + made + _op(4) + to_deadline,
        bytes((0x00,)) + establish + _op(5, 0, 21) + b"\xff" * 16 + b"\x00\x15\x04\x00\x00",
        bytes((0x00,)) + establish + _op(5, 0, 21) + b"\xff" * 16 + b"\x00\x15\x02\x00\x00",
    ]
    scripts += [bytes((0x00,)) + establish + _op(13, i, 0, 0) for i in range(len(FIRED_INPUTS))]
    scripts += [bytes((0x00,)) + start + made + _op(13, i, 0, 1) for i in range(len(FIRED_INPUTS))]
    return scripts


def write_seeds(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    seeds = seed_scripts()
    for seed in seeds:
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return len(seeds)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        print(f"{write_seeds(Path(sys.argv[2]))} seed scripts in {sys.argv[2]}")
        return
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
