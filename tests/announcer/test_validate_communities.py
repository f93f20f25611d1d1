"""communities: normal forms, alias resolution, and the bgpwire attributes made from them."""

from __future__ import annotations

import pytest
from bgpwire_announcer.communities import (
    CommunityError,
    Normalised,
    attributes,
    normalise,
    parse_value,
    resolve,
)
from bgpwire_announcer.model import Advertisement, CommunityAlias, Config, Origin

from bgpwire.attributes import Communities, LargeCommunities, LargeCommunity

ALIASES = Config(communities=(
    CommunityAlias(Origin("Community", "metallb-system", "c"), "blue", "large:64512:1:02"),
    CommunityAlias(Origin("Community", "metallb-system", "c"), "red", "65000:0100"),
    CommunityAlias(Origin("Community", "metallb-system", "c"), "65000:1", "65000:2"),
    CommunityAlias(Origin("Community", "metallb-system", "c"), "bad", "65000"),
))


def advertisement(*communities: str) -> Advertisement:
    return Advertisement(Origin("BGPAdvertisement", "metallb-system", "ad"), bgp=True,
                         communities=communities)


@pytest.mark.parametrize(("text", "expected"), [
    ("65000:100", Normalised("65000:100", False)),
    (" 0065000:0100 ", Normalised("65000:100", False)),
    ("0:0", Normalised("0:0", False)),
    ("65535:65535", Normalised("65535:65535", False)),
    ("large:1:2:3", Normalised("1:2:3", True)),
    ("large:4294967295:0:007", Normalised("4294967295:0:7", True)),
])
def test_values_in_normal_form(text: str, expected: Normalised) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["65000", "65536:1", "1:65536", "a:b", "large:1:2",
                                  "large:1:2:3:4", "LARGE:1:2:3", "1:2:3", "", "\uff11:2"])
def test_invalid_values(text: str) -> None:
    with pytest.raises(CommunityError) as raised:
        parse_value(text)
    assert repr(text) in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_resolve_sorts_numerically_and_drops_repeats() -> None:
    ad = advertisement("65000:100", "red", "9:1", "large:10:1:1", "blue", "large:9:99:1",
                       "large:64512:1:2")
    assert resolve(ad, ALIASES) == (("9:1", "65000:100"),
                                    ("9:99:1", "10:1:1", "64512:1:2"))


def test_an_alias_wins_over_a_value_of_the_same_text() -> None:
    """As in MetalLB, a name is looked up among the aliases before it is read as a value."""
    assert normalise("65000:1", {"65000:1": "65000:2"}) == Normalised("65000:2", False)
    assert resolve(advertisement("65000:1"), ALIASES) == (("65000:2",), ())


def test_resolve_names_the_advertisement_when_it_fails() -> None:
    with pytest.raises(CommunityError, match=r"^BGPAdvertisement/metallb-system/ad: "
                                             r"spec.communities: 'green' is not a community"):
        resolve(advertisement("65000:1", "green"), ALIASES)
    with pytest.raises(CommunityError, match=r"alias 'bad' has an invalid value"):
        resolve(advertisement("bad"), ALIASES)


def test_no_communities() -> None:
    assert resolve(advertisement(), Config()) == ((), ())
    assert attributes((), ()) == (None, None)


def test_attributes_for_bgpwire() -> None:
    standard, large = resolve(advertisement("red", "blue", "1:2"), ALIASES)
    communities, large_communities = attributes(standard, large)
    assert communities == Communities(((1 << 16) | 2, (65000 << 16) | 100))
    assert large_communities == LargeCommunities((LargeCommunity(64512, 1, 2),))
    assert str(communities) == "1:2 65000:100"
