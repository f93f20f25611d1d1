"""The attribute lists a full table is made of, recognised by one regular-expression match.

Nearly every UPDATE of a table carries the same few attributes, in ascending type order, each
with the flags its RFC prescribes: ORIGIN, a one-segment AS_PATH, NEXT_HOP (or MP_REACH_NLRI),
and maybe MULTI_EXIT_DISC, LOCAL_PREF, COMMUNITIES and LARGE_COMMUNITY. A pattern that spells
out every well-formed such list checks one in a single call into the ``re`` engine, where a
loop over the attributes costs some fifty bytecodes each. What the patterns accept is exactly
what the attribute decoders accept (the tests compare them on random lists); anything they do
not match is left to :func:`bgpwire.messages.update._check_clean_attributes`.

A length-prefixed field cannot be described by a regular expression in general, so each
variable-length attribute is spelled out for every length it may have with a one-octet length
field: an AS_SEQUENCE of 1 to 63 (4-octet) or 126 (2-octet) AS numbers, 1 to 63 communities,
1 to 21 large communities. Longer ones take the loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Shapes", "shapes_for"]

_ANY = b"(?s:.)"


def _counted(unit: int, header: bytes = b"", first: int = 0) -> bytes:
    """Alternatives ``length octet, [header], octets``: every value of ``first`` plus a non-zero
    multiple of ``unit`` octets that fits a one-octet length."""
    choices = []
    count = 1
    while first + unit * count <= 0xFF:
        size = first + unit * count
        head = bytes((size,)) + header + (bytes((count,)) if first else b"")
        choices.append(re.escape(head) + _ANY + b"{%d}" % (unit * count))
        count += 1
    return b"(?:" + b"|".join(choices) + b")"


def _attribute(flags: int, code: int, value: bytes) -> bytes:
    """The attribute with its prescribed flags, or with Extended Length set on a short value
    (as some speakers send every optional attribute)."""
    short = re.escape(bytes((flags, code)))
    extended = re.escape(bytes((flags | 0x10, code, 0)))
    return b"(?:" + short + b"|" + extended + b")" + value


@dataclass(frozen=True)
class Shapes:
    """The compiled patterns for one kind of session (AS number width, LOCAL_PREF allowed)."""

    classic: re.Pattern[bytes]
    """A whole attribute list for prefixes in the classic NLRI field (``fullmatch``)."""
    up_to_reach_nlri: re.Pattern[bytes]
    """The attributes of a list for multiprotocol prefixes that come before MP_REACH_NLRI,
    then the header of an IPv6 unicast MP_REACH_NLRI with one global next hop and its
    prescribed flags, up to its NLRI (``match``); where the attribute ends is for the caller
    to read off its length."""
    after_reach: re.Pattern[bytes]
    """What may follow that MP_REACH_NLRI, up to the end of the list (``fullmatch``)."""


def _compile(four_octet_as: bool, local_pref: bool) -> Shapes:
    width = 4 if four_octet_as else 2
    origin = re.escape(bytes((0x40, 1, 1))) + b"[\x00-\x02]"
    as_path = _attribute(0x40, 2, _counted(width, b"\x02", first=2))
    next_hop = re.escape(bytes((0x40, 3, 4))) + _ANY + b"{4}"
    med = _attribute(0x80, 4, re.escape(b"\x04") + _ANY + b"{4}")
    pref = _attribute(0x40, 5, re.escape(b"\x04") + _ANY + b"{4}") if local_pref else b""
    communities = _attribute(0xC0, 8, _counted(4))
    large = _attribute(0xC0, 32, _counted(12))
    # "Or nothing" rather than "?": the engine takes an alternative without the bookkeeping a
    # repeat needs (measured: a tenth of the instructions of a whole match).
    middle = b"(?:" + med + b"|)" + (b"(?:" + pref + b"|)" if pref else b"") + \
        b"(?:" + communities + b"|)"
    tail = b"(?:" + large + b"|)"
    # Flags, type, one or two length octets, AFI 2, SAFI 1, a 16-octet next hop, reserved.
    reach_head = (b"(?:" + re.escape(b"\x80\x0e") + _ANY + b"|" + re.escape(b"\x90\x0e") + _ANY
                  + b"{2})" + re.escape(b"\x00\x02\x01\x10") + _ANY + b"{17}")
    return Shapes(
        classic=re.compile(origin + as_path + next_hop + middle + tail),
        up_to_reach_nlri=re.compile(origin + as_path + middle + reach_head),
        after_reach=re.compile(tail),
    )


_COMPILED: list[list[Shapes | None]] = [[None, None], [None, None]]
"""``_COMPILED[four_octet_as][local_pref]``: the patterns :func:`shapes_for` has compiled so
far (each session's context keeps its own reference, see ``Negotiated.shapes``)."""


def shapes_for(four_octet_as: bool, local_pref: bool) -> Shapes:
    """The patterns for a session; ``local_pref`` false where LOCAL_PREF must not be received
    (an external peer: RFC 7606 §7.5 has it discarded, which the loop reports)."""
    shapes = _COMPILED[four_octet_as][local_pref]
    if shapes is None:
        shapes = _COMPILED[four_octet_as][local_pref] = _compile(four_octet_as, local_pref)
    return shapes
