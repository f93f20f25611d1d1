"""BGP communities as a BGPAdvertisement writes them, checked and normalised.

MetalLB accepts three forms in ``BGPAdvertisement.spec.communities``: ``a:b`` (a standard
community, two 16-bit numbers), ``large:a:b:c`` (a large community, three 32-bit numbers), or
the name of an alias defined by a ``Community`` object, whose value is one of the first two.
As in MetalLB, a name is first looked up among the aliases, and only then read as a value.

The normal forms are what ``plan --json`` prints and what the planner compares: ``65000:100``
and ``1:2:3`` (no leading zeros, no ``large:`` prefix).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bgpwire.attributes import Communities, LargeCommunities, LargeCommunity, parse_community
from bgpwire_announcer.model import Advertisement, Config

LARGE_PREFIX = "large:"
_MAX16 = 0xFFFF
_MAX32 = 0xFFFFFFFF


class CommunityError(ValueError):
    """A community that is neither a valid value nor an existing alias; the message says
    which text and why."""


@dataclass(frozen=True, slots=True)
class Normalised:
    """One community in normal form; ``large`` tells which attribute carries it."""

    text: str
    large: bool


def _numbers(parts: list[str], limit: int, text: str, what: str) -> str:
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise CommunityError(f"{text!r} is not a {what}: every part must be a decimal number")
    numbers = [int(part) for part in parts]
    if any(number > limit for number in numbers):
        raise CommunityError(f"{text!r} is not a {what}: each part must be at most {limit}")
    return ":".join(str(number) for number in numbers)


def parse_value(text: str) -> Normalised:
    """``a:b`` or ``large:a:b:c`` in normal form; raises :class:`CommunityError` otherwise."""
    body = text.strip()
    if body.startswith(LARGE_PREFIX):
        parts = body[len(LARGE_PREFIX):].split(":")
        if len(parts) != 3:
            raise CommunityError(f"{text!r} is not a large community: expected large:a:b:c")
        return Normalised(_numbers(parts, _MAX32, text, "large community"), True)
    parts = body.split(":")
    if len(parts) != 2:
        raise CommunityError(
            f"{text!r} is not a community: expected a:b (16-bit each), large:a:b:c "
            "(32-bit each) or the name of a Community alias")
    return Normalised(_numbers(parts, _MAX16, text, "community"), False)


def alias_table(config: Config) -> dict[str, str]:
    """Alias name to value as written. With one name defined twice the first in the config's
    (sorted) order is used here; validation reports the clash."""
    table: dict[str, str] = {}
    for alias in config.communities:
        table.setdefault(alias.name, alias.value)
    return table


def normalise(text: str, aliases: Mapping[str, str]) -> Normalised:
    """One community as written in an advertisement: an alias first, then a value."""
    name = text.strip()
    if name in aliases:
        try:
            return parse_value(aliases[name])
        except CommunityError as error:
            raise CommunityError(f"alias {name!r} has an invalid value: {error}") from None
    return parse_value(name)


def _sort_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(":"))


def split(texts: Iterable[str], aliases: Mapping[str, str]) -> tuple[tuple[str, ...],
                                                                     tuple[str, ...]]:
    """``(standard, large)`` in normal form, each sorted numerically and without repeats."""
    standard: set[str] = set()
    large: set[str] = set()
    for text in texts:
        value = normalise(text, aliases)
        (large if value.large else standard).add(value.text)
    return (tuple(sorted(standard, key=_sort_key)), tuple(sorted(large, key=_sort_key)))


def resolve(advertisement: Advertisement, config: Config) -> tuple[tuple[str, ...],
                                                                   tuple[str, ...]]:
    """The advertisement's communities as ``(standard, large)``, e.g.
    ``(("65000:100",), ("1:2:3",))``; raises :class:`CommunityError` naming the advertisement
    when one cannot be resolved."""
    try:
        return split(advertisement.communities, alias_table(config))
    except CommunityError as error:
        raise CommunityError(f"{advertisement.origin.ref}: spec.communities: {error}") from None


def attributes(standard: Iterable[str], large: Iterable[str]
               ) -> tuple[Communities | None, LargeCommunities | None]:
    """The COMMUNITIES and LARGE_COMMUNITY attributes for normal-form texts (``None`` for an
    empty list: an attribute with no value is malformed on the wire)."""
    standard_values = tuple(parse_community(text) for text in standard)
    large_values = tuple(LargeCommunity.parse(text) for text in large)
    return (Communities(standard_values) if standard_values else None,
            LargeCommunities(large_values) if large_values else None)
