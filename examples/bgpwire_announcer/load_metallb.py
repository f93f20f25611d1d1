"""MetalLB's kinds as model objects: IPAddressPool, BGP/L2Advertisement, BGPPeer, Community.

Each builder reads one document through :class:`~.load_fields.Fields` (which records what is
wrong) and returns the model value with MetalLB's defaults filled in; whether the values make
sense together is :mod:`.validate`'s question. Kubernetes durations (``holdTime: 1m30s``) are
read here too, since only BGPPeer has them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bgpwire_announcer.load_fields import Fields, type_name
from bgpwire_announcer.load_secrets import HIDDEN
from bgpwire_announcer.model import (
    AddressPool,
    Advertisement,
    BGPPeer,
    CommunityAlias,
    Origin,
    ServiceAllocation,
)

FREEBIND_ANNOTATION = "bgpwire.io/freebind"
PASSIVE_ANNOTATION = "bgpwire.io/passive"


def build_pool(origin: Origin, top: Fields) -> AddressPool:
    spec = top.sub("spec")
    allocation: ServiceAllocation | None = None
    if spec.data.get("serviceAllocation") is not None:
        block = spec.sub("serviceAllocation")
        allocation = ServiceAllocation(
            priority=block.integer("priority"),
            namespaces=tuple(sorted(set(block.texts("namespaces")))),
            namespace_selectors=block.selectors("namespaceSelectors"),
            service_selectors=block.selectors("serviceSelectors"),
        )
    return AddressPool(
        origin=origin,
        addresses=spec.texts("addresses"),
        auto_assign=spec.flag("autoAssign", True),
        avoid_buggy_ips=spec.flag("avoidBuggyIPs"),
        service_allocation=allocation,
        labels=top.sub("metadata").labels("labels"),
    )


def build_advertisement(origin: Origin, top: Fields) -> Advertisement:
    spec = top.sub("spec")
    bgp = origin.kind == "BGPAdvertisement"
    length = spec.integer("aggregationLength") if bgp else None
    length_v6 = spec.integer("aggregationLengthV6") if bgp else None
    return Advertisement(
        origin=origin,
        bgp=bgp,
        pools=tuple(sorted(set(spec.texts("ipAddressPools")))),
        pool_selectors=spec.selectors("ipAddressPoolSelectors"),
        aggregation_length=32 if length is None else length,
        aggregation_length_v6=128 if length_v6 is None else length_v6,
        local_pref=spec.integer("localPref") if bgp else None,
        communities=tuple(spec.texts("communities")) if bgp else (),
        peers=tuple(sorted(set(spec.texts("peers")))) if bgp else (),
        node_selectors=spec.selectors("nodeSelectors"),
    )


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                 "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> int:
    """A Kubernetes duration (Go's syntax: ``90s``, ``1m30s``, ``1.5m``, ``0``) in whole seconds.

    Raises ValueError saying why: BGP timers are whole seconds, so ``1500ms`` is refused.
    """
    body = text.strip()
    if body == "0":
        return 0
    if not body or body.startswith(("-", "+")):
        raise ValueError("expected a non-negative duration such as 90s or 1m30s")
    position, total = 0, 0.0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None:
            raise ValueError("expected a duration such as 90s or 1m30s")
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    seconds = round(total)
    if abs(total - seconds) > 1e-6:
        raise ValueError("BGP timers are whole seconds")
    return seconds


def _duration(spec: Fields, key: str) -> int | None:
    text = spec.text(key)
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        spec.bad(spec.field(key), text, str(error))
        return None


def _switch(top: Fields, annotations: Mapping[str, Any], key: str) -> bool:
    value = annotations.get(key)
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    top.bad(f"metadata.annotations.{key}", value, 'must be "true" or "false"')
    return False


def _password(spec: Fields) -> str | None:
    """``spec.password``; a value of the wrong type is reported without being shown."""
    value = spec.data.get("password")
    if value is None or isinstance(value, str):
        return value or None
    spec.bad(spec.field("password"), HIDDEN, f"must be a string, not {type_name(value)}")
    return None


def build_peer(origin: Origin, top: Fields) -> BGPPeer:
    spec = top.sub("spec")
    annotations = top.sub("metadata").sub("annotations").data
    for unsupported, why in (("dynamicASN", "give peerASN instead"),
                             ("interface", "unnumbered peering is not supported; "
                                           "give peerAddress instead")):
        if spec.data.get(unsupported) not in (None, ""):
            spec.bad(spec.field(unsupported), spec.data[unsupported],
                     f"not supported by bgpwire-announcer: {why}")
    secret = spec.data.get("passwordSecret")
    secret_name: str | None = None
    secret_namespace: str | None = None
    if isinstance(secret, str):
        secret_name = secret.strip() or None
    elif secret is not None:
        reference = spec.sub("passwordSecret")
        secret_name = (reference.text("name") or "").strip() or None
        secret_namespace = (reference.text("namespace") or "").strip() or None
    my_asn = spec.integer("myASN")
    peer_asn = spec.integer("peerASN")
    peer_address = spec.text("peerAddress")
    for key, value in (("myASN", my_asn), ("peerASN", peer_asn), ("peerAddress", peer_address)):
        if value is None and spec.data.get(key) is None:
            spec.bad(spec.field(key), "", "is required")
    port = spec.integer("peerPort")
    return BGPPeer(
        origin=origin,
        my_asn=my_asn or 0,
        peer_asn=peer_asn or 0,
        peer_address=(peer_address or "").strip(),
        source_address=(spec.text("sourceAddress") or "").strip() or None,
        peer_port=179 if port is None else port,
        hold_time=_duration(spec, "holdTime"),
        keepalive_time=_duration(spec, "keepaliveTime"),
        connect_time=_duration(spec, "connectTime"),
        router_id=(spec.text("routerID") or "").strip() or None,
        node_selectors=spec.selectors("nodeSelectors"),
        password=_password(spec),
        password_secret=secret_name,
        password_secret_namespace=secret_namespace,
        bfd_profile=(spec.text("bfdProfile") or "").strip() or None,
        ebgp_multihop=spec.flag("ebgpMultiHop"),
        enable_graceful_restart=spec.flag("enableGracefulRestart"),
        vrf=(spec.text("vrf") or "").strip() or None,
        disable_mp=spec.flag("disableMP"),
        freebind=_switch(top, annotations, FREEBIND_ANNOTATION),
        passive=_switch(top, annotations, PASSIVE_ANNOTATION),
    )


def build_aliases(origin: Origin, top: Fields) -> list[CommunityAlias]:
    out: list[CommunityAlias] = []
    for item in top.sub("spec").subs("communities"):
        name = item.text("name")
        value = item.text("value")
        if not name or not name.strip():
            item.bad(item.field("name"), name or "", "is required")
        elif not value or not value.strip():
            item.bad(item.field("value"), value or "", "is required")
        else:
            out.append(CommunityAlias(origin, name.strip(), value.strip()))
    return out
