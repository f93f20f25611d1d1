"""The announcer's inputs and outputs as typed, immutable values.

The loader (:mod:`bgpwire_announcer.load`) turns MetalLB / Kubernetes documents into these;
everything after it (validation, allocation, planning, the speaker) reads only these, never the
raw YAML. Names follow MetalLB's fields (``aggregation_length`` for ``aggregationLength``) so a
MetalLB user recognises them in messages, which quote the original field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object came from: for messages that must name every object involved."""

    kind: str
    namespace: str
    name: str
    file: str = ""
    """The file (and document index, ``path#3``) it was read from; not part of identity."""

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` as messages print it (namespace omitted when empty)."""
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


# --- label selectors (Kubernetes metav1.LabelSelector) --------------------------------------


class SelectorOperator(Enum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True)
class SelectorRequirement:
    key: str
    operator: SelectorOperator
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes label selector; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[SelectorRequirement, ...] = ()

    def matches(self, labels: dict[str, str] | tuple[tuple[str, str], ...]) -> bool:
        have = dict(labels)
        if any(have.get(key) != value for key, value in self.match_labels):
            return False
        for requirement in self.match_expressions:
            present = requirement.key in have
            value = have.get(requirement.key)
            if requirement.operator is SelectorOperator.IN:
                ok = present and value in requirement.values
            elif requirement.operator is SelectorOperator.NOT_IN:
                ok = not present or value not in requirement.values
            elif requirement.operator is SelectorOperator.EXISTS:
                ok = present
            else:
                ok = not present
            if not ok:
                return False
        return True


def any_matches(selectors: tuple[LabelSelector, ...],
                labels: dict[str, str] | tuple[tuple[str, str], ...]) -> bool:
    """MetalLB's reading of a list of selectors: empty selects all, otherwise any one."""
    return not selectors or any(selector.matches(labels) for selector in selectors)


# --- MetalLB objects ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceAllocation:
    """``IPAddressPool.spec.serviceAllocation``: which services a pool serves, and its rank."""

    priority: int | None = None
    namespaces: tuple[str, ...] = ()
    namespace_selectors: tuple[LabelSelector, ...] = ()
    service_selectors: tuple[LabelSelector, ...] = ()


@dataclass(frozen=True, slots=True)
class AddressPool:
    """``IPAddressPool``. ``addresses`` are the entries as written (``10.0.0.0/24`` or
    ``10.0.0.1-10.0.0.9``); validation checks them, the allocator expands them."""

    origin: Origin
    addresses: tuple[str, ...]
    auto_assign: bool = True
    avoid_buggy_ips: bool = False
    service_allocation: ServiceAllocation | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.origin.name


@dataclass(frozen=True, slots=True)
class Advertisement:
    """``BGPAdvertisement`` (``bgp=True``) or ``L2Advertisement`` (accepted, not acted on).

    ``communities`` are as written: ``65000:100``, ``large:1:2:3`` or a ``Community`` alias
    name; :mod:`bgpwire_announcer.validate` resolves and checks them.
    """

    origin: Origin
    bgp: bool
    pools: tuple[str, ...] = ()
    pool_selectors: tuple[LabelSelector, ...] = ()
    aggregation_length: int = 32
    aggregation_length_v6: int = 128
    local_pref: int | None = None
    communities: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    node_selectors: tuple[LabelSelector, ...] = ()

    @property
    def name(self) -> str:
        return self.origin.name


DEFAULT_HOLD_TIME = 90
"""MetalLB's hold time for a BGPPeer without ``holdTime``."""


@dataclass(frozen=True, slots=True)
class BGPPeer:
    """``BGPPeer`` (v1beta1 and v1beta2). Durations are in seconds; ``None`` is "not given".

    ``password`` never appears in output (status, plan, messages). It is ``spec.password`` as
    read; once the configuration is valid, :func:`~.passwords.resolve_passwords` fills it from
    the Secret that ``passwordSecret`` names, so the session code sees one field either way.
    """

    origin: Origin
    my_asn: int
    peer_asn: int
    peer_address: str
    source_address: str | None = None
    peer_port: int = 179
    hold_time: int | None = None
    keepalive_time: int | None = None
    connect_time: int | None = None
    router_id: str | None = None
    node_selectors: tuple[LabelSelector, ...] = ()
    password: str | None = field(default=None, repr=False)
    password_secret: str | None = None
    """``spec.passwordSecret.name``."""
    password_secret_namespace: str | None = None
    """``spec.passwordSecret.namespace`` when given (it must be the BGPPeer's own)."""
    bfd_profile: str | None = None
    ebgp_multihop: bool = False
    enable_graceful_restart: bool = False
    vrf: str | None = None
    disable_mp: bool = False
    freebind: bool = False
    """Not MetalLB's: the ``bgpwire.io/freebind: "true"`` annotation (rule 4's opt-in)."""
    passive: bool = False
    """Not MetalLB's: the ``bgpwire.io/passive: "true"`` annotation: wait for the peer."""

    @property
    def name(self) -> str:
        return self.origin.name

    @property
    def internal(self) -> bool:
        return self.my_asn == self.peer_asn


@dataclass(frozen=True, slots=True)
class CommunityAlias:
    """One entry of a ``Community`` object's ``spec.communities``."""

    origin: Origin
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class BFDProfile:
    origin: Origin


# --- Kubernetes objects ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Secret:
    """A ``v1 Secret``, reduced to what a BGPPeer's ``passwordSecret`` needs: its type and its
    ``password`` key (decoded; the loader reads no other key). ``password_field`` says where
    the password came from (``data.password`` or ``stringData.password``) for messages, which
    never show the password itself."""

    origin: Origin
    type: str = "Opaque"
    password: str | None = field(default=None, repr=False)
    password_field: str = "data.password"


class IPFamilyPolicy(Enum):
    SINGLE_STACK = "SingleStack"
    PREFER_DUAL_STACK = "PreferDualStack"
    REQUIRE_DUAL_STACK = "RequireDualStack"


@dataclass(frozen=True, slots=True)
class Service:
    """A ``v1 Service`` of ``type: LoadBalancer``.

    ``families`` is the service's families in order (``"IPv4"`` / ``"IPv6"``), primary first:
    from ``spec.clusterIPs`` when given, else ``spec.ipFamilies``, else IPv4.
    ``requested`` joins ``spec.loadBalancerIP`` and the ``loadBalancerIPs`` annotation;
    ``status_ips`` is ``status.loadBalancer.ingress[].ip``.
    """

    origin: Origin
    families: tuple[str, ...] = ("IPv4",)
    family_policy: IPFamilyPolicy = IPFamilyPolicy.SINGLE_STACK
    requested: tuple[str, ...] = ()
    pool: str | None = None
    """The ``address-pool`` annotation."""
    allow_shared_ip: str | None = None
    load_balancer_class: str | None = None
    external_traffic_policy: str = "Cluster"
    status_ips: tuple[str, ...] = ()
    allocated_from_pool: str | None = None
    """The ``ip-allocated-from-pool`` annotation."""
    labels: tuple[tuple[str, str], ...] = ()
    namespace_labels: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """``namespace/name``, as plan and status name a service."""
        return f"{self.origin.namespace}/{self.origin.name}"


@dataclass(frozen=True, slots=True)
class Node:
    origin: Origin
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.origin.name


@dataclass(frozen=True, slots=True)
class Endpoint:
    node_name: str | None
    ready: bool
    serving: bool


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    origin: Origin
    service: str
    """``namespace/name`` of the service (label ``kubernetes.io/service-name``)."""
    endpoints: tuple[Endpoint, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    """Everything read from the files, each list sorted by identity (never by file order)."""

    pools: tuple[AddressPool, ...] = ()
    advertisements: tuple[Advertisement, ...] = ()
    peers: tuple[BGPPeer, ...] = ()
    communities: tuple[CommunityAlias, ...] = ()
    bfd_profiles: tuple[BFDProfile, ...] = ()
    services: tuple[Service, ...] = ()
    nodes: tuple[Node, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    namespaces: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """``v1 Namespace`` names and labels, for ``namespaceSelectors``."""
    secrets: tuple[Secret, ...] = ()
    """``v1 Secret`` objects, for ``passwordSecret``; emptied once the passwords are resolved."""


# --- problems -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One reason a configuration is not valid: every object involved, the field, the value
    and why. ``str()`` is the line ``check`` prints."""

    objects: tuple[str, ...]
    """``Origin.ref`` of every object involved, sorted."""
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{', '.join(self.objects)}: {self.field}={self.value!s}: {self.reason}"


# --- the plan: what one node announces ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServicePlan:
    name: str
    """``namespace/name``."""
    ips: tuple[str, ...]
    pool: str | None
    pending: str | None
    notes: tuple[str, ...] = ()
    """Why an address was replaced or not announced from this node, etc."""


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """One route this node announces: to ``peers`` (BGPPeer names), with its attributes.

    ``local_pref`` is what the advertisement asks; it goes only to iBGP peers.
    """

    prefix: str
    peers: tuple[str, ...]
    local_pref: int | None
    communities: tuple[str, ...]
    large_communities: tuple[str, ...]
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WithheldRoute:
    """A route this node does not announce, and why (``plan`` and status show it)."""

    prefix: str
    services: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class PeerPlan:
    name: str
    address: str
    source_address: str | None
    problem: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    node: str
    services: tuple[ServicePlan, ...]
    routes: tuple[RoutePlan, ...]
    peers: tuple[PeerPlan, ...]
    withheld: tuple[WithheldRoute, ...] = ()
