"""Writing the fields of frozen, slotted dataclasses directly.

A decoded table is a hundred thousand UPDATEs and a million prefixes, and the decoder builds
values whose parts it has checked already: running each dataclass constructor (its
``__post_init__`` checks, and ``object.__setattr__`` for every field of a frozen class) again
would cost more than the decoding. The slot descriptors of the class write a field without
either; these are they, looked up once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["slot_setters"]

SlotSetter = Callable[[Any, Any], None]


def slot_setters(cls: type, *names: str) -> dict[str, SlotSetter]:
    """The functions that write the fields ``names`` of an instance of ``cls`` (a dataclass
    with ``slots=True``), by name and in that order; frozen or not, no check runs."""
    return {name: cls.__dict__[name].__set__ for name in names}
