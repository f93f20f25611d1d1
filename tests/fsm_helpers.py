"""Two sessions joined in memory with a fake clock, for the FSM tests (h11's ConnectionPair)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from typing import Any

from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.fsm import (
    CloseRequested,
    ConnectRequested,
    Event,
    PeerConfig,
    Session,
    SessionEstablished,
    State,
)
from bgpwire.messages import Message, decode_stream

A_AS, B_AS = 65001, 65002
A_ID, B_ID = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")


def config(local_as: int = A_AS, peer_as: int | None = B_AS, router_id: IPv4Address = A_ID,
           **overrides: Any) -> PeerConfig:
    return PeerConfig(local_as=local_as, peer_as=peer_as, router_id=router_id, **overrides)


def mirror(cfg: PeerConfig, **overrides: Any) -> PeerConfig:
    """The configuration the other side of ``cfg`` would have."""
    other = replace(cfg, local_as=cfg.peer_as or B_AS, peer_as=cfg.local_as,
                    router_id=B_ID if cfg.router_id != B_ID else A_ID)
    return replace(other, **overrides)


@dataclass
class Side:
    session: Session
    events: list[Event] = field(default_factory=list)
    sent: bytearray = field(default_factory=bytearray)
    closed: bool = False

    def collect(self) -> bytes:
        data = self.session.data_to_send()
        self.sent += data
        new = self.session.next_events()
        self.events.extend(new)
        if any(isinstance(event, CloseRequested) for event in new):
            self.closed = True
        return data

    def of(self, cls: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, cls)]

    def messages(self, ctx: Negotiated = DEFAULT_CONTEXT) -> list[Message]:
        return list(decode_stream(bytes(self.sent), ctx))


def state(session: Session) -> State:
    """The session's state, read through a call so that type checkers do not narrow it."""
    return session.state


class SessionPair:
    """``a`` connects to ``b`` (passive); bytes move only when :meth:`exchange` is called."""

    def __init__(self, a_config: PeerConfig | None = None, b_config: PeerConfig | None = None,
                 *, now: float = 1000.0, rng: float = 0.5) -> None:
        a_config = a_config or config()
        b_config = b_config or mirror(a_config)
        self.now = now
        self.a = Side(Session(a_config, now=now, rng=lambda: rng))
        self.b = Side(Session(b_config, now=now, rng=lambda: rng))

    def sides(self) -> tuple[Side, Side]:
        return self.a, self.b

    def connect(self) -> None:
        """Start both, let ``a`` connect, and hand the connection to both ends."""
        self.a.session.start(self.now)
        self.b.session.start(self.now, passive=True)
        self.a.collect()
        self.b.collect()
        assert any(isinstance(e, ConnectRequested) for e in self.a.events)
        self.a.session.connection_made(self.now, outbound=True)
        self.b.session.connection_made(self.now, outbound=False)

    def exchange(self, max_rounds: int = 20) -> int:
        """Move bytes both ways until neither side has anything to say; returns the rounds."""
        for rounds in range(max_rounds):
            to_b, to_a = self.a.collect(), self.b.collect()
            if not to_a and not to_b:
                return rounds
            if to_b and not self.b.closed:
                self.b.session.receive_data(to_b, self.now)
            if to_a and not self.a.closed:
                self.a.session.receive_data(to_a, self.now)
        raise AssertionError("the sessions keep talking")

    def establish(self) -> None:
        self.connect()
        self.exchange()
        assert self.a.session.state is State.ESTABLISHED, self.a.events
        assert self.b.session.state is State.ESTABLISHED, self.b.events
        assert self.a.of(SessionEstablished) and self.b.of(SessionEstablished)

    def advance(self, seconds: float, *, deliver: bool = True) -> None:
        """Move the clock, fire due timers on both, and (optionally) deliver what they sent."""
        self.now += seconds
        self.a.session.handle_timers(self.now)
        self.b.session.handle_timers(self.now)
        if deliver:
            self.exchange()
        else:
            self.a.collect()
            self.b.collect()


# --- raw messages -----------------------------------------------------------------------------

ORIGIN_IGP = bytes.fromhex("40010100")
AS_PATH_B = bytes.fromhex("40020602010000fdea")  # AS_SEQUENCE [65002], 4-octet
NEXT_HOP_B = bytes.fromhex("4003040a000002")
NLRI_192_0_2 = bytes.fromhex("18c00002")


def raw_message(message_type: int, body: bytes) -> bytes:
    return b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + bytes((message_type,)) + body


def raw_update(attributes: bytes, nlri: bytes = b"", withdrawn: bytes = b"") -> bytes:
    body = (len(withdrawn).to_bytes(2, "big") + withdrawn
            + len(attributes).to_bytes(2, "big") + attributes + nlri)
    return raw_message(2, body)


VALID_UPDATE = raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, NLRI_192_0_2)
