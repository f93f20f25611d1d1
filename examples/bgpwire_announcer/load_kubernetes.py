"""Kubernetes' kinds as model objects: LoadBalancer Services and their EndpointSlices.

A Service that is not ``type: LoadBalancer`` and an EndpointSlice that belongs to no Service are
not the announcer's and are skipped (None). MetalLB's service annotations are read under both of
their prefixes. Nodes and Namespaces need only their labels and are built in :mod:`.load`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from bgpwire_announcer.load_fields import Fields, type_name
from bgpwire_announcer.model import Endpoint, EndpointSlice, IPFamilyPolicy, Origin, Service

ANNOTATION_PREFIXES = ("metallb.io/", "metallb.universe.tf/")
"""MetalLB's service annotations are read under the current and the old prefix."""
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _metallb_annotation(top: Fields, annotations: Mapping[str, Any], key: str) -> str | None:
    """``metallb.io/KEY`` or ``metallb.universe.tf/KEY``; both with different values is a
    problem, since which one MetalLB honours depends on its version."""
    found: dict[str, str] = {}
    for prefix in ANNOTATION_PREFIXES:
        value = annotations.get(prefix + key)
        if value is None:
            continue
        if not isinstance(value, str):
            top.bad(f"metadata.annotations.{prefix}{key}", value,
                    f"must be a string, not {type_name(value)}")
            continue
        found[prefix + key] = value.strip()
    if len(set(found.values())) > 1:
        first, second = sorted(found)
        top.bad(f"metadata.annotations.{first}", found[first],
                f"differs from {second}={found[second]}; give one of them")
    return next(iter(found.values()), None) or None


_FAMILIES = ("IPv4", "IPv6")


def _service_families(spec: Fields) -> tuple[str, ...]:
    families: list[str] = []
    for index, text in enumerate(spec.texts("clusterIPs")):
        if text in ("", "None"):
            continue
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            spec.bad(f"{spec.field('clusterIPs')}[{index}]", text, "not an IP address")
            continue
        families.append(f"IPv{address.version}")
    if not families:
        for index, family in enumerate(spec.texts("ipFamilies")):
            if family not in _FAMILIES:
                spec.bad(f"{spec.field('ipFamilies')}[{index}]", family,
                         "must be IPv4 or IPv6")
                continue
            families.append(family)
    unique = tuple(dict.fromkeys(families))
    return unique or ("IPv4",)


def build_service(origin: Origin, top: Fields) -> Service | None:
    spec = top.sub("spec")
    if spec.text("type") != "LoadBalancer":
        return None
    metadata = top.sub("metadata")
    annotations = metadata.sub("annotations").data
    policy_text = spec.text("ipFamilyPolicy")
    policy = IPFamilyPolicy.SINGLE_STACK
    if policy_text is not None:
        try:
            policy = IPFamilyPolicy(policy_text)
        except ValueError:
            choices = ", ".join(p.value for p in IPFamilyPolicy)
            spec.bad(spec.field("ipFamilyPolicy"), policy_text, f"must be one of {choices}")
    requested: list[str] = []
    single = (spec.text("loadBalancerIP") or "").strip()
    if single:
        requested.append(single)
    listed = _metallb_annotation(top, annotations, "loadBalancerIPs") or ""
    requested.extend(part.strip() for part in listed.split(",") if part.strip())
    traffic = spec.text("externalTrafficPolicy") or "Cluster"
    if traffic not in ("Cluster", "Local"):
        spec.bad(spec.field("externalTrafficPolicy"), traffic, "must be Cluster or Local")
    ingress = top.sub("status").sub("loadBalancer").subs("ingress")
    status_ips = tuple(ip for item in ingress if (ip := (item.text("ip") or "").strip()))
    return Service(
        origin=origin,
        families=_service_families(spec),
        family_policy=policy,
        requested=tuple(dict.fromkeys(requested)),
        pool=_metallb_annotation(top, annotations, "address-pool"),
        allow_shared_ip=_metallb_annotation(top, annotations, "allow-shared-ip"),
        load_balancer_class=(spec.text("loadBalancerClass") or "").strip() or None,
        external_traffic_policy=traffic,
        status_ips=status_ips,
        allocated_from_pool=_metallb_annotation(top, annotations, "ip-allocated-from-pool"),
        labels=metadata.labels("labels"),
    )


def build_endpoint_slice(origin: Origin, top: Fields) -> EndpointSlice | None:
    labels = dict(top.sub("metadata").labels("labels"))
    service = labels.get(SERVICE_NAME_LABEL)
    if not service:
        return None  # not a service's slice (made by hand or by another controller)
    endpoints: list[Endpoint] = []
    for item in top.subs("endpoints"):
        conditions = item.sub("conditions")
        ready = conditions.flag("ready", True)  # Kubernetes: an unknown state counts as ready
        serving = conditions.flag("serving", ready)  # unknown: defer to ready
        node_name = (item.text("nodeName") or "").strip() or None
        endpoints.append(Endpoint(node_name, ready, serving))
    endpoints.sort(key=lambda e: (e.node_name or "", e.ready, e.serving))
    return EndpointSlice(origin, f"{origin.namespace}/{service}", tuple(endpoints))
