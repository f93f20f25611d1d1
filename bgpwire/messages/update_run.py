"""Runs of received UPDATEs that a table is made of, kept as the checked fields they arrived in.

A full table is a hundred thousand UPDATEs or more, nearly all of one kind: IPv4 prefixes in
the classic NLRI field, nothing withdrawn, and an attribute list of the common shape. Decoding
each into an :class:`~bgpwire.messages.update.Update`, wrapping it in an event, queueing it and
reading it back costs more than the checks themselves. So a session may check a run of them
with :func:`take_table_updates` and hand them on as one :class:`UpdateRun`: for each UPDATE
only its path attributes field, its NLRI field and its prefix count, from which the
``Update`` is made again, equal to what the decoder makes, if anyone asks for it.
:meth:`AdjRibIn.apply_all <bgpwire.rib.AdjRibIn.apply_all>` reads the fields directly
(:func:`classic_table_run`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import cast, overload

from bgpwire.constants import AFI, HEADER_LENGTH, MessageType
from bgpwire.context import Negotiated
from bgpwire.errors import LocalProtocolError
from bgpwire.messages.header import MIN_LENGTH
from bgpwire.messages.update import (
    _EXTENDED_LENGTH,
    _GET_ATTRIBUTES,
    Update,
    _PendingAttributes,
    _remember_shapes,
    table_update,
)
from bgpwire.prefixes import _STEPS, PrefixList

_UPDATE = int(MessageType.UPDATE)
_MIN_UPDATE = MIN_LENGTH[MessageType.UPDATE]
_FIELDS_AT = HEADER_LENGTH + 4  # past the header and the two empty-field lengths
_IPV4 = int(AFI.IPV4)
_IPV4_STEPS = _STEPS[_IPV4]


class UpdateRun(Sequence[Update]):
    """UPDATEs received one after the other, each an IPv4 table UPDATE (see
    :func:`take_table_updates`), all decoded in one context.

    It is a sequence of :class:`~bgpwire.messages.update.Update`: an item is made when read,
    equal to what :func:`bgpwire.decode` makes of the message (a new object at each read).
    A slice is a run too. It holds, per UPDATE, the path attributes field and the NLRI field as
    received, and the prefix count; :attr:`prefix_count` adds them up. It is made from the
    lists :func:`take_table_updates` filled, and checks none of it again.
    """

    __slots__ = ("_blocks", "_counts", "_ctx", "_fields")

    def __init__(self, ctx: Negotiated, blocks: list[bytes], fields: list[bytes],
                 counts: list[int]) -> None:
        if not len(blocks) == len(fields) == len(counts):
            raise LocalProtocolError(
                "an UpdateRun needs as many NLRI fields and counts as attribute fields "
                f"({len(blocks)}, {len(fields)}, {len(counts)})")
        self._ctx = ctx
        self._blocks = blocks
        self._fields = fields
        self._counts = counts

    @property
    def context(self) -> Negotiated:
        """The context the UPDATEs were decoded in."""
        return self._ctx

    @property
    def prefix_count(self) -> int:
        """How many prefixes the UPDATEs announce, in all."""
        return sum(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    @overload
    def __getitem__(self, index: int) -> Update: ...
    @overload
    def __getitem__(self, index: slice) -> UpdateRun: ...
    def __getitem__(self, index: int | slice) -> Update | UpdateRun:
        if isinstance(index, slice):
            return UpdateRun(self._ctx, self._blocks[index], self._fields[index],
                             self._counts[index])
        return table_update(self._ctx, self._blocks[index], self._fields[index],
                            self._counts[index])

    def __iter__(self) -> Iterator[Update]:
        ctx = self._ctx
        for block, field, count in zip(self._blocks, self._fields, self._counts, strict=True):
            yield table_update(ctx, block, field, count)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a mutable sequence's contract: no hash

    def __repr__(self) -> str:
        return f"UpdateRun({len(self)} UPDATEs, {self.prefix_count} prefixes)"


def take_table_updates(messages: Sequence[bytes], start: int, ctx: Negotiated,
                       into: tuple[list[bytes], list[bytes], list[int]]) -> int:
    """Check ``messages[start:]`` (whole messages whose header the framer checked) for as long
    as they are IPv4 table UPDATEs; return the index of the first that is not.

    Taken is an UPDATE that withdraws nothing, announces IPv4 prefixes in the classic NLRI
    field (no ADD-PATH in ``ctx``), all well formed, and whose attribute list one of the shapes
    of :mod:`bgpwire.messages.update_shapes` recognises: one that :func:`bgpwire.decode` would
    decode without a problem (RFC 7606) and with its attributes pending. For each, its path
    attributes field, its NLRI field and its prefix count are appended to the lists of
    ``into``. Anything else stops the run, whether a clean UPDATE of another kind or a
    malformed one: the caller decodes it, which reports what is wrong.
    """
    if ctx.ipv4_add_path:
        return start
    classic = (ctx.shapes or _remember_shapes(ctx)).classic.fullmatch
    steps = _IPV4_STEPS
    blocks, fields, counts = into
    index = start
    while index < len(messages):  # by index: skipping to ``start`` would cost a step each
        raw = messages[index]
        end = len(raw)
        if raw[18] != _UPDATE or end < _MIN_UPDATE or raw[19] or raw[20]:
            break  # not an UPDATE, or one that withdraws prefixes
        nlri_at = _FIELDS_AT + ((raw[21] << 8) | raw[22])
        if nlri_at >= end or not classic(raw, _FIELDS_AT, nlri_at):
            break
        i = nlri_at
        count = 0
        while i < end:  # as PrefixList.decode checks a field without path identifiers
            i += steps[raw[i]]
            count += 1
        if i != end:
            break
        blocks.append(raw[_FIELDS_AT:nlri_at])
        fields.append(raw[nlri_at:])
        counts.append(count)
        index += 1
    return index


def classic_table_run(
    updates: Sequence[Update], start: int, stop: int, *,
    needles: Mapping[int, tuple[bytes, bytes]], headers: Mapping[int, Mapping[bytes, bytes]],
    into: tuple[list[bytes], list[int], list[bytes]],
) -> int:
    """Read ``updates[start:stop]``, in one call, for as long as they are what most of an IPv4
    table is made of and pass a receiver's checks; return the index of the first one not taken.

    Taken is an UPDATE that announces IPv4 prefixes in the classic NLRI field, without
    ADD-PATH, withdraws none, and has a recognised attribute list (so a NEXT_HOP right after the
    AS_PATH), in which, for the width of its AS numbers (``4`` or ``2``): no AS number of
    ``needles[width]`` appears in the AS_PATH (a pair; an empty one is skipped), and the next
    hop has an entry in ``headers[width]`` that is not empty. For each, its NLRI field as
    received, its prefix count, and that entry followed by its path attributes field are
    appended to the three lists of ``into``. What stops the run is for the caller to look at.
    Every item of an :class:`UpdateRun` is of that kind; in another sequence, the run also
    stops where the decoding context changes.

    Why one call for many: a table is a hundred thousand UPDATEs or more. Calling
    :func:`~bgpwire.messages.update.recognised_path` for each, then asking its prefix list for
    its bytes and its length, took half as long again (0.155 s against 0.103 s for a million
    prefixes).
    """
    fields, counts, paths = into
    if type(updates) is UpdateRun:
        ctx: Negotiated | None = updates.context
        blocks = updates._blocks[start:stop]
        fields += updates._fields[start:stop]
        counts += updates._counts[start:stop]
    else:
        ctx = None
        blocks = []
        for update in updates[start:stop]:
            pending = _GET_ATTRIBUTES(update)
            if (type(pending) is not _PendingAttributes or not pending[4]
                    or pending[1] is not None or update.withdrawn):
                break  # not pending, or not recognised, or multiprotocol: see _PendingAttributes
            nlri: PrefixList = update.nlri  # type: ignore[assignment]  # as the decoder made it
            if nlri._add_path or (ctx is not None and pending[0] is not ctx):
                break
            ctx = cast(Negotiated, pending[0])
            blocks.append(pending[3])
            fields.append(nlri._raw)
            counts.append(nlri._count)
    if ctx is None:
        return start
    taken = _table_paths(blocks, 4 if ctx.four_octet_as else 2, needles, headers, paths)
    del fields[len(paths):], counts[len(paths):]
    return start + taken


def _table_paths(blocks: list[bytes], width: int, needles: Mapping[int, tuple[bytes, bytes]],
                 headers: Mapping[int, Mapping[bytes, bytes]], paths: list[bytes]) -> int:
    """The checks of :func:`classic_table_run` on recognised classic attribute fields: append
    the path of each that passes, and return how many did, up to the first that does not."""
    own, zero = needles[width]
    hops = headers[width]
    taken = 0
    for block in blocks:
        # ORIGIN takes the first four octets; then the AS_PATH header: flags, type, one or two
        # length octets (as in recognised_path).
        if block[4] & _EXTENDED_LENGTH:
            value, size = 8, (block[6] << 8) | block[7]
        else:
            value, size = 7, block[6]
        end = value + size  # the value is the segment type, the count, then the AS numbers
        as_numbers = block[value + 2:end]
        if as_numbers.find(zero) >= 0 or (own and as_numbers.find(own) >= 0):
            break
        header = hops.get(block[end + 3:end + 7])  # the NEXT_HOP value
        if not header:
            break
        paths.append(header + block)
        taken += 1
    return taken
