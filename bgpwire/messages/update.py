"""UPDATE (RFC 4271 §4.3), with the error handling of RFC 7606.

Decoding never gives up on an UPDATE that RFC 7606 lets a session survive: a malformed
attribute becomes an :class:`~bgpwire.errors.AttributeProblem` on the decoded message, with the
action the RFC assigns (discard that attribute, or treat the whole UPDATE as a withdrawal of its
prefixes). Only what the RFC says must end the session (NLRI that cannot be located, a malformed
or repeated MP_REACH_NLRI / MP_UNREACH_NLRI, an unrecognised well-known attribute) is raised, as
the :class:`~bgpwire.errors.UpdateMessageError` whose NOTIFICATION ends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, TypeVar

from bgpwire.attributes import ATTRIBUTE_TYPES, MPReachNLRI, MPUnreachNLRI
from bgpwire.attributes.base import (
    EXTENDED_LENGTH,
    OPTIONAL,
    TRANSITIVE,
    PathAttribute,
    UnknownAttribute,
    canonical_flags,
    set_received_flags,
)
from bgpwire.attributes.mp import decode_ipv6_unicast_reach, ipv6_unicast_reach
from bgpwire.attributes.policy import MALFORMED_ACTION, ONCE_ONLY_SESSION_RESET
from bgpwire.constants import AFI, HEADER_LENGTH, AttrType, MessageType, UpdateMessageSubcode
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import (
    AttributeFlagsError,
    AttributeLengthError,
    AttributeProblem,
    ErrorAction,
    InvalidNetworkField,
    LocalProtocolError,
    MalformedAttributeList,
    MissingWellKnownAttribute,
    UnrecognizedWellKnownAttribute,
    UpdateMessageError,
)
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.messages.header import frame
from bgpwire.messages.update_shapes import Shapes, shapes_for
from bgpwire.prefixes import NLRIItem, PrefixList, encode_prefix, encode_prefixes
from bgpwire.slots import slot_setters

A = TypeVar("A", bound=PathAttribute)

_SHOWS_WHOLE_ATTRIBUTE = frozenset({
    UpdateMessageSubcode.ATTRIBUTE_FLAGS_ERROR,
    UpdateMessageSubcode.ATTRIBUTE_LENGTH_ERROR,
    UpdateMessageSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
    UpdateMessageSubcode.INVALID_ORIGIN_ATTRIBUTE,
    UpdateMessageSubcode.INVALID_NEXT_HOP_ATTRIBUTE,
    UpdateMessageSubcode.OPTIONAL_ATTRIBUTE_ERROR,
})
"""Subcodes whose NOTIFICATION data is the offending attribute, header included (RFC 4271 §6.3)."""

# Plain integers: flag enums would cost an enum operation per attribute on the hot path.
_OPTIONAL = int(OPTIONAL)
_EXTENDED_LENGTH = int(EXTENDED_LENGTH)
_CATEGORY_BITS = int(OPTIONAL | TRANSITIVE)
_LOCAL_PREF = int(AttrType.LOCAL_PREF)
_MP_REACH = int(AttrType.MP_REACH_NLRI)
_MP_UNREACH = int(AttrType.MP_UNREACH_NLRI)
_MP_TYPES = frozenset({_MP_REACH, _MP_UNREACH})
_NEXT_HOP = int(AttrType.NEXT_HOP)
_MEMO_LIMIT = 1 << 16
_MEMO_VALUE_LIMIT = 256


def _attribute_memo(ctx: Negotiated) -> dict[bytes, PathAttribute]:
    """Decoded attributes by their wire bytes, for this context.

    Attributes are immutable values, and a table repeats them a great deal (every route from one
    peer has the same NEXT_HOP, most share an ORIGIN, many a MED or communities), so one decoded
    object serves every repeat: faster, and far less memory for a full table. The memo lives in
    the context, as what the bytes mean depends on it, and it is bounded: one that reaches its
    limit starts again empty.
    """
    memo: dict[bytes, PathAttribute] = ctx.attribute_memo
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    return memo


@dataclass(frozen=True, slots=True)
class Update:
    """An UPDATE message.

    ``withdrawn`` and ``nlri`` are the classic IPv4 unicast fields; other families travel in the
    :class:`MPReachNLRI` / :class:`MPUnreachNLRI` attributes. Attributes keep their wire order.
    ``problems`` is filled by decoding only: what RFC 7606 found wrong and what it says to do.

    A decoded UPDATE checks everything when it is decoded, but builds most values only when
    first read (the prefixes, and every attribute but MP_REACH_NLRI / MP_UNREACH_NLRI): reading
    them can never raise, and the message compares, hashes and encodes as if built at once.
    """

    TYPE: ClassVar[MessageType] = MessageType.UPDATE

    withdrawn: Sequence[NLRIItem] = ()
    attributes: tuple[PathAttribute, ...] = ()
    nlri: Sequence[NLRIItem] = ()
    problems: tuple[AttributeProblem, ...] = ()

    def __post_init__(self) -> None:
        for name in ("withdrawn", "nlri"):
            value = getattr(self, name)
            if not isinstance(value, tuple | PrefixList):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.attributes, tuple):
            object.__setattr__(self, "attributes", tuple(self.attributes))
        codes = [attribute.type_code for attribute in self.attributes]
        if len(set(codes)) != len(codes):
            raise LocalProtocolError("an UPDATE carries each attribute type at most once")

    # --- reading ------------------------------------------------------------------------------

    def attr(self, cls: type[A]) -> A | None:
        """The attribute of class ``cls``, or ``None``."""
        for attribute in self.attributes:
            if type(attribute) is cls:
                return attribute
        return None

    @property
    def action(self) -> ErrorAction:
        """The strongest RFC 7606 action among :attr:`problems` (``NONE`` when clean)."""
        problems = self.problems
        if not problems:  # every UPDATE of a clean table asks: answer it without a generator
            return ErrorAction.NONE
        return max(problem.action for problem in problems)

    @property
    def treat_as_withdraw(self) -> bool:
        """RFC 7606: every prefix this UPDATE announces must be handled as withdrawn."""
        return self.action >= ErrorAction.TREAT_AS_WITHDRAW

    @property
    def mp_reach(self) -> MPReachNLRI | None:
        attributes = _GET_ATTRIBUTES(self)
        if type(attributes) is _PendingAttributes:  # asked of every UPDATE: build nothing
            return attributes[1]  # type: ignore[no-any-return]  # see _PendingAttributes
        for attribute in attributes:  # attr(), written out
            if type(attribute) is MPReachNLRI:
                return attribute
        return None

    @property
    def mp_unreach(self) -> MPUnreachNLRI | None:
        attributes = _GET_ATTRIBUTES(self)
        if type(attributes) is _PendingAttributes:  # as mp_reach
            return attributes[2]  # type: ignore[no-any-return]
        for attribute in attributes:
            if type(attribute) is MPUnreachNLRI:
                return attribute
        return None

    @property
    def end_of_rib(self) -> Family | None:
        """The family this UPDATE marks End-of-RIB for (RFC 4724 §2), or ``None``."""
        if self.withdrawn or self.nlri:
            return None
        if type(_GET_ATTRIBUTES(self)) is _PendingAttributes:
            # Asked of every UPDATE: build nothing for it. Pending attributes hold at least one
            # that is not MP_UNREACH_NLRI (that one is always built), so this is no End-of-RIB.
            return None
        if not self.attributes:
            return IPV4_UNICAST
        if len(self.attributes) == 1:
            only = self.attributes[0]
            if isinstance(only, MPUnreachNLRI) and only.is_end_of_rib:
                return only.family
        return None

    def announced(self) -> list[tuple[Family, NLRIItem]]:
        """Every prefix announced, with its family (classic NLRI first, then MP_REACH_NLRI)."""
        routes = [(IPV4_UNICAST, item) for item in self.nlri]
        reach = self.mp_reach
        if reach is not None:
            routes.extend((reach.family, item) for item in reach.nlri)
        return routes

    def withdrawals(self) -> list[tuple[Family, NLRIItem]]:
        """Every prefix withdrawn, with its family (classic field first, then MP_UNREACH_NLRI)."""
        routes = [(IPV4_UNICAST, item) for item in self.withdrawn]
        unreach = self.mp_unreach
        if unreach is not None:
            routes.extend((unreach.family, item) for item in unreach.withdrawn)
        return routes

    # --- writing ------------------------------------------------------------------------------

    def encode(self, ctx: Negotiated = DEFAULT_CONTEXT) -> bytes:
        """The whole message; refuses one larger than ``ctx`` allows."""
        add_path = IPV4_UNICAST in ctx.add_path
        withdrawn = encode_prefixes(self.withdrawn, AFI.IPV4, add_path)
        attributes = b"".join(attribute.encode(ctx) for attribute in self.attributes)
        nlri = encode_prefixes(self.nlri, AFI.IPV4, add_path)
        body = b"".join((
            len(withdrawn).to_bytes(2, "big"), withdrawn,
            len(attributes).to_bytes(2, "big"), attributes,
            nlri,
        ))
        return frame(MessageType.UPDATE, body, ctx.max_message_length)

    # --- reading the wire ---------------------------------------------------------------------

    @classmethod
    def decode_body(cls, body: bytes, ctx: Negotiated) -> Update:
        """Decode the message body (after the header). See the module docstring for errors."""
        return decode_update(body, 0, ctx)


def decode_update(data: bytes, start: int, ctx: Negotiated) -> Update:
    """Decode the UPDATE body that begins at ``start`` in ``data`` and runs to its end.

    :func:`bgpwire.decode` hands over the whole message with ``start`` past the header, which
    spares copying every body out of its message.
    """
    end = len(data)
    withdrawn_length = (data[start] << 8) | data[start + 1]
    attributes_start = start + 4 + withdrawn_length
    if attributes_start > end:
        raise MalformedAttributeList(
            f"withdrawn routes length {withdrawn_length} overruns the message")
    attributes_length = (data[attributes_start - 2] << 8) | data[attributes_start - 1]
    nlri_start = attributes_start + attributes_length
    if nlri_start > end:
        raise MalformedAttributeList(
            f"total path attribute length {attributes_length} overruns the message")
    add_path = ctx.ipv4_add_path
    withdrawn: Sequence[NLRIItem] = (
        _prefix_list(data[start + 2:attributes_start - 2], _IPV4, add_path)
        if withdrawn_length else ())
    nlri: Sequence[NLRIItem] = (
        _prefix_list(data[nlri_start:], _IPV4, add_path) if nlri_start < end else ())
    problems: tuple[AttributeProblem, ...] = ()
    attributes: tuple[PathAttribute, ...] | list[object] | None = None
    if not attributes_length and nlri_start == end:  # a withdrawal, or End-of-RIB
        attributes = ()
    else:
        has_nlri = nlri_start < end  # a field that is not empty holds a prefix, or raised above
        shapes = ctx.shapes or _remember_shapes(ctx)
        if has_nlri:
            if shapes.classic.fullmatch(data, attributes_start, nlri_start):
                attributes = [ctx, None, None, data[attributes_start:nlri_start], True]
        else:
            head = shapes.up_to_reach_nlri.match(data, attributes_start, nlri_start)
            if head is not None and not ctx.add_path:  # an IPv6 unicast MP_REACH_NLRI ...
                nlri_at = head.end()
                value = nlri_at - 21
                short = data[value - 3] == 0x80 and data[value - 2] == _MP_REACH
                length = data[value - 1] if short else (data[value - 2] << 8) | data[value - 1]
                stop = value + length
                # ... that comes last, as is common, or is followed by LARGE_COMMUNITY
                if stop == nlri_start or (nlri_at <= stop < nlri_start
                                          and shapes.after_reach.fullmatch(data, stop, nlri_start)):
                    try:
                        prefixes = _prefix_list(data[nlri_at:stop], _IPV6, False)
                    except InvalidNetworkField:
                        pass  # the general reader finds the same and reports it
                    else:
                        reach = ipv6_unicast_reach(
                            data[value + 4:value + 20], data[value + 20],
                            None if short or length > 255 else _EXTENDED_LENGTH | _OPTIONAL,
                            prefixes)
                        attributes = [ctx, reach, None, data[attributes_start:nlri_start],
                                      True]
        if attributes is None:
            attributes = _check_clean_attributes(data, attributes_start, nlri_start, ctx, has_nlri)
        if attributes is None:
            attributes, problems = _decode_attributes(
                data[attributes_start:nlri_start], ctx, has_nlri)
    # Built without re-running the checks its bytes already passed, writing the slots directly.
    update = _new(Update)
    _SET_WITHDRAWN(update, withdrawn)
    _SET_ATTRIBUTES(update, attributes)
    _SET_NLRI(update, nlri)
    _SET_PROBLEMS(update, problems)
    return update


def table_update(ctx: Negotiated, block: bytes, field: bytes, count: int) -> Update:
    """The UPDATE :func:`decode_update` makes of a message that withdraws nothing, has the
    recognised path attributes field ``block`` and the checked IPv4 NLRI field ``field`` of
    ``count`` prefixes, without checking any of it again (see
    :mod:`bgpwire.messages.update_run`)."""
    update = _new(Update)
    _SET_WITHDRAWN(update, ())
    _SET_ATTRIBUTES(update, [ctx, None, None, block, True])
    _SET_NLRI(update, PrefixList(field, _IPV4, False, count))
    _SET_PROBLEMS(update, ())
    return update


def _remember_shapes(ctx: Negotiated) -> Shapes:
    """The patterns for ``ctx``, kept on it (see :attr:`Negotiated.shapes`). LOCAL_PREF is
    not in the patterns of an external session: RFC 7606 §7.5 has it discarded, which the
    careful loop reports."""
    shapes = shapes_for(ctx.four_octet_as, local_pref=ctx.internal is not False)
    object.__setattr__(ctx, "shapes", shapes)
    return shapes


_PendingAttributes = list
"""How the slot of ``Update.attributes`` holds attributes that passed every check but are not
built yet: a list (``Update`` never stores one otherwise: its constructor turns any sequence
into a tuple) of five items: the decoding context, the MP_REACH_NLRI and the MP_UNREACH_NLRI
(or ``None``), the path attributes field as received, which holds at least one attribute
besides those two, and whether one of the shapes of :mod:`bgpwire.messages.update_shapes`
recognised that field (see :func:`recognised_path`).

A full table's consumer often needs only the prefixes, or the attributes of a few routes:
building every AS_PATH and MED of a million routes up front would cost more than the rest of
the decoding. MP_REACH_NLRI and MP_UNREACH_NLRI, which carry prefixes, are always built, and
:attr:`Update.mp_reach` finds them at their place. A plain list, not a class of its own: it is
made for nearly every UPDATE of a table.
"""


def _build_pending(pending: list[object]) -> tuple[PathAttribute, ...]:
    """Every attribute of ``pending`` as an object. Never raises: the bytes were checked.

    Attribute bytes seen before come from the memo, as in :func:`_check_clean_attributes`.
    """
    ctx: Negotiated = pending[0]  # type: ignore[assignment]  # see _PendingAttributes
    reach, unreach = pending[1], pending[2]
    block: bytes = pending[3]  # type: ignore[assignment]
    cache = _attribute_memo(ctx)
    get = cache.get
    decoders = _DECODERS
    built: list[PathAttribute] = []
    append = built.append
    end = len(block)
    i = 0
    while i < end:
        flags = block[i]
        code = block[i + 1]
        if flags & _EXTENDED_LENGTH:
            start = i + 4
            stop = start + ((block[i + 2] << 8) | block[i + 3])
        else:
            start = i + 3
            stop = start + block[i + 2]
        if code == _MP_REACH:
            append(reach)  # type: ignore[arg-type]  # decoded with the UPDATE
        elif code == _MP_UNREACH:
            append(unreach)  # type: ignore[arg-type]
        else:
            size = stop - start
            raw = block[i:stop] if size <= _MEMO_VALUE_LIMIT else b""
            memoised = get(raw) if raw else None
            if memoised is not None and memoised is not _SEEN_ONCE:
                append(memoised)
            else:
                known = decoders[code]
                attribute: PathAttribute
                if known is None:  # an optional one: a well-known one ended the session
                    attribute = _unknown_attribute(  # type: ignore[assignment]
                        flags, code, block[start:stop])
                else:
                    decode_value, category = known
                    attribute = decode_value(block[start:stop], ctx)
                    if flags != (category | _EXTENDED_LENGTH if size > 255 else category):
                        set_received_flags(attribute, flags)
                if raw:
                    cache[raw] = _SEEN_ONCE if memoised is None else attribute
                append(attribute)
        i = stop
    return tuple(built)


def recognised_path(update: Update) -> tuple[bytes, int, bytes, bytes, Negotiated] | None:
    """What a receiver checks in every UPDATE of a table, read off the bytes without building
    any attribute: the AS numbers of the AS_PATH as received, their width in octets (2 or 4),
    the NEXT_HOP value (``b""`` when there is none: the prefixes are in MP_REACH_NLRI), and the
    path attributes field with the context it was decoded in, from which
    :func:`recognised_attributes` builds the attributes later.

    Only for an UPDATE whose attributes are still pending and whose list one of the shapes of
    :mod:`bgpwire.messages.update_shapes` recognised: it then begins with ORIGIN (four octets)
    and an AS_PATH of one AS_SEQUENCE, a NEXT_HOP comes next if there is one, and there is no
    AS4_PATH and no MP_UNREACH_NLRI; being pending, the UPDATE has no problems (RFC 7606).
    ``None`` for any other UPDATE, whose attributes are to be read as objects.
    """
    pending = _GET_ATTRIBUTES(update)
    if type(pending) is not _PendingAttributes or not pending[4]:
        return None
    block: bytes = pending[3]  # see _PendingAttributes
    ctx: Negotiated = pending[0]
    if block[4] & _EXTENDED_LENGTH:  # the AS_PATH header: flags, type, one or two length octets
        value, size = 8, (block[6] << 8) | block[7]
    else:
        value, size = 7, block[6]
    end = value + size  # the value is the segment type, the count, then the AS numbers
    next_hop = block[end + 3:end + 7] if block[end + 1] == _NEXT_HOP else b""
    return block[value + 2:end], 4 if ctx.four_octet_as else 2, next_hop, block, ctx


def received_field(update: Update) -> tuple[bytes, int] | None:
    """The path attributes field of a decoded UPDATE whose attributes are still pending
    (checked whole when decoded, not built yet), and the width in octets (2 or 4) of the AS
    numbers in it; ``None`` once they are built, and for an UPDATE built by hand. What the
    field's attributes mean depends on nothing else of the context but MP_REACH_NLRI and
    MP_UNREACH_NLRI, which :func:`recognised_attributes` leaves out."""
    pending = _GET_ATTRIBUTES(update)
    if type(pending) is not _PendingAttributes:
        return None
    ctx: Negotiated = pending[0]  # see _PendingAttributes
    return pending[3], 4 if ctx.four_octet_as else 2


def recognised_attributes(block: bytes, ctx: Negotiated) -> tuple[PathAttribute, ...]:
    """The attributes of a path attributes field :func:`recognised_path` or
    :func:`received_field` returned, built now, in wire order, without MP_REACH_NLRI and
    MP_UNREACH_NLRI (which carry prefixes, not a route's attributes). Never raises: the field
    was checked when it was decoded."""
    built = _build_pending([ctx, None, None, block, True])
    return tuple(attribute for attribute in built if attribute is not None)


class _AttributesField:
    """``Update.attributes``: the slot, with pending attributes built on first read.

    Every way of reading the field (attribute access, the dataclass ``__eq__``, ``__hash__``,
    ``__repr__``, :func:`dataclasses.replace`, pickling) goes through here, so an UPDATE whose
    attributes are pending behaves exactly as one built with a tuple.
    """

    __slots__ = ()

    def __get__(self, update: Update | None, owner: type | None = None) -> object:
        if update is None:
            return self
        attributes = _GET_ATTRIBUTES(update)
        if type(attributes) is _PendingAttributes:
            attributes = _build_pending(attributes)
            _SET_ATTRIBUTES(update, attributes)
        return attributes

    def __set__(self, update: Update, value: object) -> None:
        _SET_ATTRIBUTES(update, value)


_IPV4 = int(AFI.IPV4)
_IPV6 = int(AFI.IPV6)
_prefix_list = PrefixList.decode
_new = object.__new__
_SET_WITHDRAWN, _SET_ATTRIBUTES, _SET_NLRI, _SET_PROBLEMS = slot_setters(
    Update, "withdrawn", "attributes", "nlri", "problems").values()
_GET_ATTRIBUTES = Update.__dict__["attributes"].__get__
setattr(Update, "attributes", _AttributesField())  # noqa: B010  # hidden from the type checker


def _bit(*codes: int) -> int:
    return sum(1 << code for code in codes)


_MANDATORY_BITS = _bit(AttrType.ORIGIN, AttrType.AS_PATH)
_MANDATORY_WITH_NLRI_BITS = _bit(AttrType.ORIGIN, AttrType.AS_PATH, AttrType.NEXT_HOP)
_MP_REACH_BIT = _bit(AttrType.MP_REACH_NLRI)
_LOCAL_PREF_BIT = _bit(AttrType.LOCAL_PREF)
_DECODERS = [
    (cls.decode_value, cls.CATEGORY) if (cls := ATTRIBUTE_TYPES.get(code)) else None
    for code in range(256)
]
"""Per type code: its decoder and the Optional/Transitive bits it must arrive with (``None``:
not a type bgpwire knows)."""
_CATEGORIES = bytes(known[1] if (known := _DECODERS[code]) else 0xFF for code in range(256))
"""Per type code: the Optional/Transitive bits of a known type (0xFF, which no masked flags
octet equals, for the others)."""
_MEMOISABLE = bytes(code not in _MP_TYPES for code in range(256))
"""Per type code: whether its attributes may go into the memo (if short enough)."""
_SEEN_ONCE: PathAttribute = UnknownAttribute()
"""What the memo holds for attribute bytes met once (see :func:`_check_clean_attributes`): an
object no decoding returns, only ever compared by identity."""

# The types left unbuilt by decoding, and how their bytes are checked instead: for each, the
# check passes exactly when its ``decode_value`` succeeds (the tests hold them to that). ORIGIN
# and NEXT_HOP are not among them: a table repeats them, and the memo has them built already.
_FIXED = 1  # a value of exactly _SIZES[code] octets
_ONE_SEQUENCE = 2  # an AS_PATH that is one AS_SEQUENCE (others are decoded at once)
_MULTIPLE = 3  # a non-zero multiple of _SIZES[code] octets
_CHECKS: dict[int, tuple[int, int]] = {
    AttrType.AS_PATH: (_ONE_SEQUENCE, 0),
    AttrType.MULTI_EXIT_DISC: (_FIXED, 4),
    AttrType.LOCAL_PREF: (_FIXED, 4),
    AttrType.COMMUNITIES: (_MULTIPLE, 4),
    AttrType.CLUSTER_LIST: (_MULTIPLE, 4),
    AttrType.LARGE_COMMUNITY: (_MULTIPLE, 12),
    AttrType.ONLY_TO_CUSTOMER: (_FIXED, 4),
}
_CHECK_KIND = bytes(_CHECKS.get(code, (0, 0))[0] for code in range(256))
_SIZES = bytes(_CHECKS.get(code, (0, 0))[1] for code in range(256))


def _check_clean_attributes(
    data: bytes, i: int, end: int, ctx: Negotiated, has_nlri: bool
) -> tuple[PathAttribute, ...] | list[object] | None:
    """The attributes in ``data[i:end]`` of an UPDATE with nothing wrong in them, or ``None``.

    This is the path a table takes when its attribute lists are not of the shapes
    :mod:`bgpwire.messages.update_shapes` recognises, so it does only what a well-formed list
    needs. At the first sign of trouble (an attribute that does not decode, a repeat, a missing
    mandatory attribute, a length past the end) it gives up, and :func:`_decode_attributes` goes
    over the list again, slowly and carefully, to say what is wrong and what RFC 7606 makes of
    it.

    Every error RFC 7606 cares about is found here, never when an attribute is read, but only
    MP_REACH_NLRI and MP_UNREACH_NLRI are kept built (see :data:`_PendingAttributes`). The
    types whose values are mostly unique to their UPDATE in a table (see ``_CHECKS``) are
    checked on their bytes; the others are decoded (into the memo: a table repeats them).

    An attribute enters the memo the second time its bytes are seen, decoded here or when
    built; from then on every UPDATE shares the one object. The first time only the bytes are
    recorded: most AS_PATHs and communities of a table are unique to their UPDATE, and
    memoising those would keep alive, for nothing, objects the garbage collector must then keep
    walking; the bytes themselves are never tracked by the collector.
    """
    cache = _attribute_memo(ctx)
    get = cache.get
    decoders = _DECODERS
    memoisable = _MEMOISABLE
    check_kind = _CHECK_KIND
    categories = _CATEGORIES
    sizes = _SIZES
    path_shift = 2 if ctx.four_octet_as else 1
    begin = i
    reach: PathAttribute | None = None
    unreach: PathAttribute | None = None
    multiprotocol: list[PathAttribute] = []  # reach and unreach, in wire order
    others = False
    seen = 0
    try:
        while i < end:
            # A header cut short by the end of the list makes ``stop`` overrun ``end``.
            flags = data[i]
            if flags & _EXTENDED_LENGTH:
                start = i + 4
                stop = start + ((data[i + 2] << 8) | data[i + 3])
            else:
                start = i + 3
                stop = start + data[i + 2]
            code = data[i + 1]
            bit = 1 << code
            if stop > end or seen & bit:
                return None
            seen |= bit
            kind = check_kind[code]
            if kind and flags & _CATEGORY_BITS == categories[code]:
                size = stop - start
                if kind == _FIXED:
                    sound = size == sizes[code]
                elif kind == _ONE_SEQUENCE:
                    sound = (size > 2 and data[start] == 2
                             and (data[start + 1] << path_shift) + 2 == size)
                else:
                    sound = size > 0 and not size % sizes[code]
                if sound:
                    others = True
                    i = stop
                    continue
            memoised: PathAttribute | None = None
            if memoisable[code]:
                others = True
                raw = data[i:stop] if stop - start <= _MEMO_VALUE_LIMIT else b""
                if raw:
                    memoised = get(raw)
                    if memoised is not None and memoised is not _SEEN_ONCE:
                        i = stop
                        continue
            else:
                raw = b""
                if code == _MP_REACH:
                    reach = decode_ipv6_unicast_reach(data, start, stop, flags, ctx)
                    if reach is not None:
                        multiprotocol.append(reach)
                        i = stop
                        continue
            known = decoders[code]
            attribute: PathAttribute | None
            if known is None:
                attribute = _unknown_attribute(flags, code, data[start:stop])
                if attribute is None:
                    return None
            else:
                decode_value, category = known
                if flags & _CATEGORY_BITS != category:
                    return None
                try:
                    attribute = decode_value(data[start:stop], ctx)
                except UpdateMessageError:
                    return None
                if flags != (category | _EXTENDED_LENGTH if stop - start > 255 else category):
                    set_received_flags(attribute, flags)
            if raw:
                cache[raw] = _SEEN_ONCE if memoised is None else attribute
            elif code == _MP_REACH:
                reach = attribute
                multiprotocol.append(attribute)
            elif code == _MP_UNREACH:
                unreach = attribute
                multiprotocol.append(attribute)
            i = stop
    except IndexError:  # a header cut short by the end of the message
        return None
    if has_nlri:
        if seen & _MANDATORY_WITH_NLRI_BITS != _MANDATORY_WITH_NLRI_BITS:
            return None
    elif seen & _MP_REACH_BIT and seen & _MANDATORY_BITS != _MANDATORY_BITS:
        return None
    if seen & _LOCAL_PREF_BIT and ctx.internal is False:
        return None
    if others:
        return [ctx, reach, unreach, data[begin:end], False]
    return tuple(multiprotocol)  # nothing else to build (an End-of-RIB marker, say)


def _unknown_attribute(flags: int, code: int, value: bytes) -> UnknownAttribute | None:
    """An attribute of a type bgpwire has no class for: kept if optional, else ``None`` (an
    unrecognised well-known attribute, which ends the session, RFC 4271 §6.3)."""
    if not flags & _OPTIONAL:
        return None
    prescribed = canonical_flags(UnknownAttribute.CATEGORY, len(value))
    return UnknownAttribute(code=code, value=value, flags=None if flags == prescribed else flags)


def _decode_attributes(
    data: bytes, ctx: Negotiated, has_nlri: bool
) -> tuple[tuple[PathAttribute, ...], tuple[AttributeProblem, ...]]:
    """The path attributes field: what decoded, and what RFC 7606 found wrong."""
    cache = _attribute_memo(ctx)
    attributes: list[PathAttribute] = []
    problems: list[AttributeProblem] = []
    seen: set[int] = set()
    end = len(data)
    i = 0
    while i < end:
        if end - i < 3:
            problems.append(_problem(0, ErrorAction.TREAT_AS_WITHDRAW, AttributeLengthError(
                "the attribute list ends inside an attribute header", data[i:])))
            break
        flags = data[i]
        code = data[i + 1]
        if flags & _EXTENDED_LENGTH:
            if end - i < 4:
                problems.append(_problem(code, ErrorAction.TREAT_AS_WITHDRAW, AttributeLengthError(
                    "the attribute list ends inside an attribute header", data[i:])))
                break
            length = (data[i + 2] << 8) | data[i + 3]
            start = i + 4
        else:
            length = data[i + 2]
            start = i + 3
        stop = start + length
        if stop > end:
            # RFC 7606 §4: the attribute overruns the field; the NLRI can still be located.
            problems.append(_problem(code, ErrorAction.TREAT_AS_WITHDRAW, AttributeLengthError(
                f"attribute {code} of length {length} overruns the attribute list", data[i:])))
            break
        raw = data[i:stop]
        i = stop
        if code in seen:
            if code in ONCE_ONLY_SESSION_RESET:
                raise MalformedAttributeList(f"attribute {code} appears more than once")
            problems.append(_problem(code, ErrorAction.ATTRIBUTE_DISCARD, MalformedAttributeList(
                f"attribute {code} appears more than once; the first is kept")))
            continue
        seen.add(code)
        if code == _LOCAL_PREF and ctx.internal is False:
            # RFC 7606 §7.5: discarded from an external peer, whatever its value or length.
            error = UpdateMessageError("LOCAL_PREF received from an external peer")
            problems.append(_problem(AttrType.LOCAL_PREF, ErrorAction.ATTRIBUTE_DISCARD, error))
            continue
        cached = cache.get(raw)
        if cached is not None and cached is not _SEEN_ONCE:
            attributes.append(cached)
            continue
        attribute = _decode_attribute(flags, code, raw, data[start:stop], ctx, problems=problems)
        if attribute is None:
            continue
        if length <= _MEMO_VALUE_LIMIT and code not in _MP_TYPES:
            cache[raw] = attribute
        attributes.append(attribute)
    if has_nlri or _MP_REACH in seen:
        _check_mandatory(seen, problems, has_nlri)
    return tuple(attributes), tuple(problems) if problems else ()


def _decode_attribute(
    flags: int, code: int, raw: bytes, value: bytes, ctx: Negotiated,
    *, problems: list[AttributeProblem],
) -> PathAttribute | None:
    """One attribute, or ``None`` where RFC 7606 drops it (the reason goes to ``problems``)."""
    attribute_cls = ATTRIBUTE_TYPES.get(code)
    if attribute_cls is None:
        unknown = _unknown_attribute(flags, code, value)
        if unknown is None:
            raise UnrecognizedWellKnownAttribute(
                f"well-known attribute {code} is not recognised", raw)
        return unknown
    try:
        if flags & _CATEGORY_BITS != attribute_cls.CATEGORY:
            raise AttributeFlagsError(f"flags 0x{flags:02x} do not fit attribute {code}")
        attribute = attribute_cls.decode_value(value, ctx)
    except UpdateMessageError as error:
        action = MALFORMED_ACTION[code]
        if isinstance(error, AttributeFlagsError) and action < ErrorAction.SESSION_RESET:
            action = ErrorAction.TREAT_AS_WITHDRAW  # RFC 7606 §3.c
        if error.subcode in _SHOWS_WHOLE_ATTRIBUTE:
            error.data = raw
        if action is ErrorAction.SESSION_RESET:
            raise
        problems.append(AttributeProblem.from_error(code, action, error))
        return None
    if flags != canonical_flags(attribute_cls.CATEGORY, len(value)):
        set_received_flags(attribute, flags)
    return attribute


def _problem(code: int, action: ErrorAction, error: UpdateMessageError) -> AttributeProblem:
    return AttributeProblem.from_error(code, action, error)


_MANDATORY = (AttrType.ORIGIN, AttrType.AS_PATH)
_MANDATORY_WITH_NLRI = (*_MANDATORY, AttrType.NEXT_HOP)


def _check_mandatory(seen: set[int], problems: list[AttributeProblem], has_nlri: bool) -> None:
    """RFC 7606 §3.d: a route without ORIGIN, AS_PATH (or NEXT_HOP for classic NLRI) is withdrawn.

    Only UPDATEs that announce something need them; an attribute that was present but
    malformed is reported once, as malformed.
    """
    for code in _MANDATORY_WITH_NLRI if has_nlri else _MANDATORY:
        if code not in seen:
            error = MissingWellKnownAttribute(
                f"well-known mandatory attribute {AttrType(code).name} is missing", bytes((code,)))
            problems.append(_problem(code, ErrorAction.TREAT_AS_WITHDRAW, error))


# --- Packing routes into as few UPDATEs as fit -----------------------------------------------

_EMPTY_UPDATE = HEADER_LENGTH + 4


def pack_announcements(
    attributes: Sequence[PathAttribute], prefixes: Iterable[NLRIItem], ctx: Negotiated
) -> list[Update]:
    """Announce ``prefixes`` with ``attributes`` in as few UPDATEs as the session's size allows.

    Where the prefixes go follows from the attributes: into an :class:`MPReachNLRI` among them
    (give it with an empty ``nlri``: it carries the family and next hop), otherwise into the
    classic IPv4 NLRI field (then a NEXT_HOP attribute belongs among them).
    """
    attributes = tuple(attributes)
    reach_index, reach = next(
        ((n, a) for n, a in enumerate(attributes) if isinstance(a, MPReachNLRI)), (-1, None))
    fixed = _EMPTY_UPDATE + sum(len(attribute.encode(ctx)) for attribute in attributes)
    if reach is None:
        family = IPV4_UNICAST
    else:
        if reach.nlri:
            raise LocalProtocolError("give the MP_REACH_NLRI template without prefixes")
        family = reach.family
        # The attribute grows a 4-octet header once its value passes 255 octets: count it so.
        fixed += 4 - (len(reach.encode(ctx)) - len(reach.encode_value(ctx)))
    chunks = _chunks(prefixes, family, ctx, ctx.max_message_length - fixed)
    if reach is None:
        return [Update(attributes=attributes, nlri=chunk) for chunk in chunks]
    updates = []
    for chunk in chunks:
        filled = list(attributes)
        filled[reach_index] = replace(reach, nlri=chunk)
        updates.append(Update(attributes=tuple(filled)))
    return updates


def pack_withdrawals(
    family: Family, prefixes: Iterable[NLRIItem], ctx: Negotiated, *, multiprotocol: bool = False
) -> list[Update]:
    """Withdraw ``prefixes`` in as few UPDATEs as fit.

    IPv4 unicast goes in the classic withdrawn-routes field unless ``multiprotocol`` is set;
    every other family in MP_UNREACH_NLRI.
    """
    if family == IPV4_UNICAST and not multiprotocol:
        chunks = _chunks(prefixes, family, ctx, ctx.max_message_length - _EMPTY_UPDATE)
        return [Update(withdrawn=chunk) for chunk in chunks]
    template = MPUnreachNLRI(family, ())
    fixed = _EMPTY_UPDATE + 4 + len(template.encode_value(ctx))
    chunks = _chunks(prefixes, family, ctx, ctx.max_message_length - fixed)
    return [Update(attributes=(replace(template, withdrawn=chunk),)) for chunk in chunks]


def _chunks(
    prefixes: Iterable[NLRIItem], family: Family, ctx: Negotiated, room: int
) -> list[tuple[NLRIItem, ...]]:
    if room <= 0:
        raise LocalProtocolError("the attributes alone fill the largest message")
    add_path = family in ctx.add_path
    chunks: list[tuple[NLRIItem, ...]] = []
    current: list[NLRIItem] = []
    used = 0
    for item in prefixes:
        size = len(encode_prefix(item, add_path))
        if used + size > room and current:
            chunks.append(tuple(current))
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        chunks.append(tuple(current))
    return chunks
