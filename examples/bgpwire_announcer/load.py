"""Read MetalLB and Kubernetes documents from files into the announcer's :mod:`.model`.

What is read: YAML files (several documents each), JSON files (read like YAML), and directories
of them (recursively, ``*.yaml``, ``*.yml``, ``*.json``, in sorted order; hidden entries such as
the ``..data`` links of a mounted ConfigMap are skipped, and a file reached twice is read once).
A ``kind: List`` document (what ``kubectl get -o yaml`` prints) contributes its ``items``; typed
lists (``ServiceList``...) too, their items taking the list's kind and apiVersion when they omit
them. Kinds the announcer does not use are ignored, and so is what kubectl adds around an object
(``status`` of MetalLB objects, ``managedFields``, ``resourceVersion``...).

The loader never raises on bad input: a document that cannot be understood (unparsable YAML, a
field of the wrong type, a missing name) becomes a :class:`~.model.Problem` naming the object
(or ``file#N`` when it has no name; documents count from 1), the field, the value and the
reason, and that object is left out. Whether the objects that were read make sense together is
:mod:`.validate`'s question, not this module's.

Every list in the resulting :class:`~.model.Config` is sorted by identity (namespace, name, then
content), so nothing downstream depends on the order of files or documents.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .model import (
    AddressPool,
    Advertisement,
    BFDProfile,
    BGPPeer,
    CommunityAlias,
    Config,
    Endpoint,
    EndpointSlice,
    IPFamilyPolicy,
    LabelSelector,
    Node,
    Origin,
    Problem,
    SelectorOperator,
    SelectorRequirement,
    Service,
    ServiceAllocation,
)

METALLB_GROUP = "metallb.io"
ANNOTATION_PREFIXES = ("metallb.io/", "metallb.universe.tf/")
"""MetalLB's service annotations are read under the current and the old prefix."""
FREEBIND_ANNOTATION = "bgpwire.io/freebind"
PASSIVE_ANNOTATION = "bgpwire.io/passive"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SUFFIXES = (".yaml", ".yml", ".json")

_METALLB_VERSIONS = {
    "IPAddressPool": ("v1beta1",),
    "BGPAdvertisement": ("v1beta1",),
    "L2Advertisement": ("v1beta1",),
    "BGPPeer": ("v1beta1", "v1beta2"),
    "Community": ("v1beta1",),
    "BFDProfile": ("v1beta1",),
}
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it: the same documents, parsed 2 to 3 times faster (a
7.4 MB ``kubectl get -o yaml`` export of 20,000 objects: 11 to 22 s instead of 39 s on a busy
2-core machine; the same export as JSON loads in 1 to 2 s, json having a C parser)."""

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _KubernetesLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """YAML read the way kubectl reads it, not the way YAML 1.1 allows.

    PyYAML follows YAML 1.1, where an unquoted ``65000:10`` is the base-60 integer 3900010 and
    ``2001:1:2:3:4:5:6:7`` an integer too; kubectl keeps both as strings. So do we: base-60
    numbers and implicit timestamps are not recognised, everything else is as before.
    """


_KubernetesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers
            if tag not in (_INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}
_KubernetesLoader.add_implicit_resolver(_INT_TAG, re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))
_KubernetesLoader.add_implicit_resolver(_FLOAT_TAG, re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_YAML_LOADER: type[yaml.SafeLoader] = _KubernetesLoader

_CORE_KINDS = {"Service": "v1", "Node": "v1", "Namespace": "v1",
               "EndpointSlice": "discovery.k8s.io/v1"}
_CLUSTER_SCOPED = {"Node", "Namespace"}


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :func:`load_paths` read: the model, what was wrong, and what the user should know
    (``notes``: things accepted but not acted on, files read twice...)."""

    config: Config
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]


class _Invalid(Exception):
    """Raised inside a builder once a problem has been recorded: the object is left out."""


def _show(value: object) -> str:
    """A value as a message quotes it: strings as they are, the rest as JSON, cut to 80."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_name(value: object) -> str:
    """What a value is, with its article, for "must be X, not Y" messages."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), f"a {type(value).__name__}")


class _Fields:
    """Typed reads of one mapping of a document; each wrong value is recorded as a Problem
    against ``ref`` with its full field path (``spec.peerPort``)."""

    def __init__(self, problems: list[Problem], ref: str, data: Mapping[str, Any],
                 path: str) -> None:
        self.problems = problems
        self.ref = ref
        self.data = data
        self.path = path

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def bad(self, field: str, value: object, reason: str) -> None:
        self.problems.append(Problem((self.ref,), field, _show(value), reason))

    def _typed(self, key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in kinds:
            self.bad(self.field(key), value, f"must be {what}, not {_type_name(value)}")
            return None
        if not isinstance(value, kinds):
            self.bad(self.field(key), value, f"must be {what}, not {_type_name(value)}")
            return None
        return value

    def text(self, key: str) -> str | None:
        value: str | None = self._typed(key, (str,), "a string")
        return value

    def required_text(self, key: str) -> str:
        """A non-empty string; raises :class:`_Invalid` (after recording why) otherwise."""
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            missing = value is None or (isinstance(value, str) and not value.strip())
            reason = "is required" if missing else f"must be a string, not {_type_name(value)}"
            self.bad(self.field(key), "" if value is None else value, reason)
            raise _Invalid
        return value.strip()

    def integer(self, key: str) -> int | None:
        value: int | None = self._typed(key, (int,), "an integer")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value: bool | None = self._typed(key, (bool,), "true or false")
        return default if value is None else value

    def texts(self, key: str) -> tuple[str, ...]:
        items = self._typed(key, (list,), "a list of strings")
        if items is None:
            return ()
        out: list[str] = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self.bad(f"{self.field(key)}[{index}]", item,
                         f"must be a string, not {_type_name(item)}")
        return tuple(out)

    def sub(self, key: str) -> _Fields:
        value = self._typed(key, (dict,), "a mapping")
        return _Fields(self.problems, self.ref, value or {}, self.field(key))

    def subs(self, key: str) -> list[_Fields]:
        items = self._typed(key, (list,), "a list of mappings")
        out: list[_Fields] = []
        for index, item in enumerate(items or ()):
            path = f"{self.field(key)}[{index}]"
            if isinstance(item, dict):
                out.append(_Fields(self.problems, self.ref, item, path))
            else:
                self.bad(path, item, f"must be a mapping, not {_type_name(item)}")
        return out

    def labels(self, key: str) -> tuple[tuple[str, str], ...]:
        value = self._typed(key, (dict,), "a mapping of strings")
        if value is None:
            return ()
        out: list[tuple[str, str]] = []
        for name, text in value.items():
            if isinstance(name, str) and isinstance(text, str):
                out.append((name, text))
            else:
                self.bad(f"{self.field(key)}.{name}", text,
                         f"label keys and values must be strings, not {_type_name(text)}")
        return tuple(sorted(out))

    def selector(self) -> LabelSelector:
        """This mapping as a ``metav1.LabelSelector`` (matchLabels, matchExpressions)."""
        expressions: list[SelectorRequirement] = []
        for item in self.subs("matchExpressions"):
            key = item.text("key")
            operator_text = item.text("operator")
            values = item.texts("values")
            if not key:
                item.bad(item.field("key"), key or "", "is required")
                continue
            try:
                operator = SelectorOperator(operator_text)
            except ValueError:
                choices = ", ".join(op.value for op in SelectorOperator)
                item.bad(item.field("operator"), operator_text or "", f"must be one of {choices}")
                continue
            wants_values = operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
            if wants_values and not values:
                item.bad(item.field("values"), [], f"{operator.value} needs at least one value")
                continue
            if not wants_values and values:
                item.bad(item.field("values"), list(values), f"{operator.value} takes no values")
                continue
            expressions.append(SelectorRequirement(key, operator, tuple(sorted(set(values)))))
        return LabelSelector(self.labels("matchLabels"), tuple(expressions))

    def selectors(self, key: str) -> tuple[LabelSelector, ...]:
        return tuple(item.selector() for item in self.subs(key))


# --- documents -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Document:
    body: dict[str, Any]
    where: str
    """``path#N`` (documents counted from 1), ``path#N.items[i]`` for a List's items."""


def _files(paths: Sequence[str | os.PathLike[str]], problems: list[Problem],
           notes: list[str]) -> list[Path]:
    """The files to read, in the order given, directories expanded in sorted order."""
    out: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(_walk(path))
        elif path.exists():
            found = [path]
        else:
            problems.append(Problem((str(path),), "file", str(path), "no such file or directory"))
            continue
        for file in found:
            real = file.resolve()
            if real in seen:
                notes.append(f"{file}: read once only (the same file was given twice)")
                continue
            seen.add(real)
            out.append(file)
    return out


def _walk(directory: Path) -> Iterator[Path]:
    """Config files under ``directory``; links are followed, each real directory once (a link
    back to a parent would otherwise never end)."""
    visited: set[Path] = set()
    for root, dirs, files in os.walk(directory, followlinks=True):
        real = Path(root).resolve()
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith(SUFFIXES):
                yield Path(root, name)


def _parse(file: Path, problems: list[Problem]) -> list[_Document]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem((str(file),), "file", str(file), f"cannot be read: {error}"))
        return []
    bodies: list[object]
    try:
        json_file = file.suffix == ".json"
        bodies = [json.loads(text)] if json_file else list(yaml.load_all(text, Loader=_YAML_LOADER))
    except (yaml.YAMLError, ValueError) as error:
        try:  # JSON is read like YAML: a .json file that is YAML is still read
            bodies = list(yaml.load_all(text, Loader=_YAML_LOADER))
        except yaml.YAMLError:
            reason = " ".join(str(error).split())
            what = "neither JSON nor YAML" if json_file else "not YAML"
            problems.append(Problem((str(file),), "file", str(file), f"{what}: {reason}"))
            return []
    out: list[_Document] = []
    for index, body in enumerate(bodies, start=1):
        out.extend(_unlist(body, f"{file}#{index}", problems, None, None))
    return out


def _unlist(body: object, where: str, problems: list[Problem], kind: str | None,
            api_version: str | None) -> Iterator[_Document]:
    """One document, or the items of a List (recursively)."""
    if body is None:
        return
    if not isinstance(body, dict):
        problems.append(Problem((where,), "document", _show(body),
                                f"must be a mapping, not {_type_name(body)}"))
        return
    if kind is not None and "kind" not in body:
        body = {**body, "kind": kind}
    if api_version is not None and "apiVersion" not in body:
        body = {**body, "apiVersion": api_version}
    body_kind = body.get("kind")
    if isinstance(body_kind, str) and body_kind.endswith("List") and "items" in body:
        items = body.get("items") or []
        if not isinstance(items, list):
            problems.append(Problem((where,), "items", _show(items),
                                    f"must be a list, not {_type_name(items)}"))
            return
        item_kind = None if body_kind == "List" else body_kind[: -len("List")]
        item_version = None if body_kind == "List" else body.get("apiVersion")
        for index, item in enumerate(items):
            yield from _unlist(item, f"{where}.items[{index}]", problems, item_kind,
                               item_version if isinstance(item_version, str) else None)
        return
    yield _Document(body, where)


# --- builders ------------------------------------------------------------------------------


@dataclass
class _Collected:
    pools: list[AddressPool]
    advertisements: list[Advertisement]
    peers: list[BGPPeer]
    communities: list[CommunityAlias]
    bfd_profiles: list[BFDProfile]
    services: list[Service]
    nodes: list[Node]
    endpoint_slices: list[EndpointSlice]
    namespaces: list[tuple[str, tuple[tuple[str, str], ...]]]
    ignored: dict[str, int]


def _origin(document: _Document, problems: list[Problem]) -> tuple[Origin, _Fields]:
    """The object's identity; a document without a usable ``metadata.name`` is a problem."""
    kind = str(document.body["kind"])
    before = len(problems)
    metadata = _Fields(problems, document.where, document.body, "").sub("metadata")
    name = metadata.required_text("name")
    namespace = metadata.text("namespace") or ""
    if len(problems) > before:
        raise _Invalid
    if kind in _CLUSTER_SCOPED:
        namespace = ""
    elif not namespace and kind in ("Service", "EndpointSlice"):
        namespace = "default"  # what kubectl apply does with a manifest that names none
    origin = Origin(kind, namespace, name.strip(), document.where)
    return origin, _Fields(problems, origin.ref, document.body, "")


def _pool(origin: Origin, top: _Fields) -> AddressPool:
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


def _advertisement(origin: Origin, top: _Fields) -> Advertisement:
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


def _duration(spec: _Fields, key: str) -> int | None:
    text = spec.text(key)
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        spec.bad(spec.field(key), text, str(error))
        return None


def _switch(top: _Fields, annotations: Mapping[str, Any], key: str) -> bool:
    value = annotations.get(key)
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    top.bad(f"metadata.annotations.{key}", value, 'must be "true" or "false"')
    return False


def _peer(origin: Origin, top: _Fields) -> BGPPeer:
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
    if isinstance(secret, str):
        secret_name = secret.strip() or None
    elif secret is not None:
        secret_name = spec.sub("passwordSecret").text("name") or None
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
        password=spec.text("password") or None,
        password_secret=secret_name,
        bfd_profile=(spec.text("bfdProfile") or "").strip() or None,
        ebgp_multihop=spec.flag("ebgpMultiHop"),
        enable_graceful_restart=spec.flag("enableGracefulRestart"),
        vrf=(spec.text("vrf") or "").strip() or None,
        disable_mp=spec.flag("disableMP"),
        freebind=_switch(top, annotations, FREEBIND_ANNOTATION),
        passive=_switch(top, annotations, PASSIVE_ANNOTATION),
    )


def _aliases(origin: Origin, top: _Fields) -> list[CommunityAlias]:
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


def _metallb_annotation(top: _Fields, annotations: Mapping[str, Any], key: str) -> str | None:
    """``metallb.io/KEY`` or ``metallb.universe.tf/KEY``; both with different values is a
    problem, since which one MetalLB honours depends on its version."""
    found: dict[str, str] = {}
    for prefix in ANNOTATION_PREFIXES:
        value = annotations.get(prefix + key)
        if value is None:
            continue
        if not isinstance(value, str):
            top.bad(f"metadata.annotations.{prefix}{key}", value,
                    f"must be a string, not {_type_name(value)}")
            continue
        found[prefix + key] = value.strip()
    if len(set(found.values())) > 1:
        first, second = sorted(found)
        top.bad(f"metadata.annotations.{first}", found[first],
                f"differs from {second}={found[second]}; give one of them")
    return next(iter(found.values()), None) or None


_FAMILIES = ("IPv4", "IPv6")


def _service_families(spec: _Fields) -> tuple[str, ...]:
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


def _service(origin: Origin, top: _Fields) -> Service | None:
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


def _endpoint_slice(origin: Origin, top: _Fields) -> EndpointSlice | None:
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


def _read(document: _Document, collected: _Collected, problems: list[Problem]) -> None:
    body = document.body
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        if "kind" not in body and "apiVersion" not in body:
            collected.ignored["(no kind)"] = collected.ignored.get("(no kind)", 0) + 1
            return
        problems.append(Problem((document.where,), "kind/apiVersion",
                                f"{_show(kind)}/{_show(api_version)}", "both must be strings"))
        return
    group, _, version = api_version.rpartition("/")
    if group == METALLB_GROUP and kind in _METALLB_VERSIONS:
        if version not in _METALLB_VERSIONS[kind]:
            known = ", ".join(f"{METALLB_GROUP}/{v}" for v in _METALLB_VERSIONS[kind])
            problems.append(Problem((document.where,), "apiVersion", api_version,
                                    f"{kind} is read as {known}"))
            return
    elif _CORE_KINDS.get(kind) != api_version:
        collected.ignored[kind] = collected.ignored.get(kind, 0) + 1
        return
    origin, top = _origin(document, problems)
    # Built into a scratch copy first: an object with any problem is left out entirely.
    scratch = _Collected([], [], [], [], [], [], [], [], [], {})
    before = len(problems)
    if kind == "Service":
        service = _service(origin, top)
        if service is not None:
            scratch.services.append(service)
    elif kind == "EndpointSlice":
        slice_ = _endpoint_slice(origin, top)
        if slice_ is not None:
            scratch.endpoint_slices.append(slice_)
    else:
        _build_into(kind, origin, top, scratch)
    if len(problems) > before:
        return
    _merge(collected, scratch)


def _build_into(kind: str, origin: Origin, top: _Fields, into: _Collected) -> None:
    if kind == "IPAddressPool":
        into.pools.append(_pool(origin, top))
    elif kind in ("BGPAdvertisement", "L2Advertisement"):
        into.advertisements.append(_advertisement(origin, top))
    elif kind == "BGPPeer":
        into.peers.append(_peer(origin, top))
    elif kind == "Community":
        into.communities.extend(_aliases(origin, top))
    elif kind == "BFDProfile":
        into.bfd_profiles.append(BFDProfile(origin))
    elif kind == "Node":
        into.nodes.append(Node(origin, top.sub("metadata").labels("labels")))
    elif kind == "Namespace":
        into.namespaces.append((origin.name, top.sub("metadata").labels("labels")))


def _merge(into: _Collected, scratch: _Collected) -> None:
    into.pools += scratch.pools
    into.advertisements += scratch.advertisements
    into.peers += scratch.peers
    into.communities += scratch.communities
    into.bfd_profiles += scratch.bfd_profiles
    into.services += scratch.services
    into.nodes += scratch.nodes
    into.endpoint_slices += scratch.endpoint_slices
    into.namespaces += scratch.namespaces


T = TypeVar("T")


def _identity(item: Any) -> tuple[str, str, str]:
    origin: Origin = item.origin
    return (origin.kind, origin.namespace, origin.name)


def _content(item: Any) -> str:
    return repr(replace(item, origin=replace(item.origin, file="")))


def _identity_order(items: list[T]) -> tuple[T, ...]:
    """Sorted by (kind, namespace, name), and objects of one identity (a repeat, which
    validation rejects) by content with the file left out, so that neither file nor document
    order shows through."""
    ordered = sorted(items, key=_identity)
    out: list[T] = []
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and _identity(ordered[end]) == _identity(ordered[start]):
            end += 1
        group = ordered[start:end]
        out.extend(group if len(group) == 1 else sorted(group, key=_content))
        start = end
    return tuple(out)


def load_paths(paths: Sequence[str | os.PathLike[str]]) -> Loaded:
    """Read every file and directory in ``paths`` into one :class:`~.model.Config`.

    Never raises for bad content: problems come back in :attr:`Loaded.problems`, sorted.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    collected = _Collected([], [], [], [], [], [], [], [], [], {})
    for file in _files(paths, problems, notes):
        for document in _parse(file, problems):
            try:
                _read(document, collected, problems)
            except _Invalid:
                continue
    namespace_labels = dict(sorted(collected.namespaces))
    services = [
        replace(service, namespace_labels=namespace_labels.get(service.origin.namespace, ()))
        for service in collected.services
    ]
    l2 = sorted(a.origin.ref for a in collected.advertisements if not a.bgp)
    if l2:
        notes.append(f"L2Advertisement is accepted for compatibility and not acted on: "
                     f"{', '.join(l2)}")
    if collected.ignored:
        kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(collected.ignored.items()))
        notes.append(f"documents of kinds the announcer does not use were ignored: {kinds}")
    config = Config(
        pools=_identity_order(collected.pools),
        advertisements=_identity_order(collected.advertisements),
        peers=_identity_order(collected.peers),
        communities=_identity_order(collected.communities),
        bfd_profiles=_identity_order(collected.bfd_profiles),
        services=_identity_order(services),
        nodes=_identity_order(collected.nodes),
        endpoint_slices=_identity_order(collected.endpoint_slices),
        namespaces=tuple(sorted(set(collected.namespaces))),
    )
    return Loaded(config, tuple(sorted(set(problems))), tuple(notes))
