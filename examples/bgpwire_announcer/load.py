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

This module keeps the steps together: :mod:`.load_documents` turns files into documents,
:mod:`.load_metallb`, :mod:`.load_kubernetes` and :mod:`.load_secrets` (which reads only the
``password`` of a Secret, for ``passwordSecret``) turn one document of each kind into a model
object through the typed reads of :mod:`.load_fields`, and :func:`load_paths` here routes each
document to its builder, leaves out objects with problems and sorts the result.
"""


from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bgpwire_announcer.load_documents import Document, files_to_read, parse_file
from bgpwire_announcer.load_fields import Fields, Invalid, show
from bgpwire_announcer.load_kubernetes import build_endpoint_slice, build_service
from bgpwire_announcer.load_metallb import (
    build_advertisement,
    build_aliases,
    build_peer,
    build_pool,
)
from bgpwire_announcer.load_secrets import build_secret
from bgpwire_announcer.model import (
    AddressPool,
    Advertisement,
    BFDProfile,
    BGPPeer,
    CommunityAlias,
    Config,
    EndpointSlice,
    Node,
    Origin,
    Problem,
    Secret,
    Service,
)

METALLB_GROUP = "metallb.io"

_METALLB_VERSIONS = {
    "IPAddressPool": ("v1beta1",),
    "BGPAdvertisement": ("v1beta1",),
    "L2Advertisement": ("v1beta1",),
    "BGPPeer": ("v1beta1", "v1beta2"),
    "Community": ("v1beta1",),
    "BFDProfile": ("v1beta1",),
}
_CORE_KINDS = {"Service": "v1", "Node": "v1", "Namespace": "v1", "Secret": "v1",
               "EndpointSlice": "discovery.k8s.io/v1"}
_CLUSTER_SCOPED = {"Node", "Namespace"}


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :func:`load_paths` read: the model, what was wrong, and what the user should know
    (``notes``: things accepted but not acted on, files read twice...)."""

    config: Config
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]


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
    secrets: list[Secret] = field(default_factory=list)


def _origin(document: Document, problems: list[Problem]) -> tuple[Origin, Fields]:
    """The object's identity; a document without a usable ``metadata.name`` is a problem."""
    kind = str(document.body["kind"])
    before = len(problems)
    metadata = Fields(problems, document.where, document.body, "").sub("metadata")
    name = metadata.required_text("name")
    namespace = metadata.text("namespace") or ""
    if len(problems) > before:
        raise Invalid
    if kind in _CLUSTER_SCOPED:
        namespace = ""
    elif not namespace and kind in ("Service", "EndpointSlice"):
        namespace = "default"  # what kubectl apply does with a manifest that names none
    origin = Origin(kind, namespace, name.strip(), document.where)
    return origin, Fields(problems, origin.ref, document.body, "")



def _read(document: Document, collected: _Collected, problems: list[Problem]) -> None:
    body = document.body
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        if "kind" not in body and "apiVersion" not in body:
            collected.ignored["(no kind)"] = collected.ignored.get("(no kind)", 0) + 1
            return
        problems.append(Problem((document.where,), "kind/apiVersion",
                                f"{show(kind)}/{show(api_version)}", "both must be strings"))
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
        service = build_service(origin, top)
        if service is not None:
            scratch.services.append(service)
    elif kind == "EndpointSlice":
        slice_ = build_endpoint_slice(origin, top)
        if slice_ is not None:
            scratch.endpoint_slices.append(slice_)
    else:
        _build_into(kind, origin, top, scratch)
    if len(problems) > before:
        return
    _merge(collected, scratch)


def _build_into(kind: str, origin: Origin, top: Fields, into: _Collected) -> None:
    if kind == "IPAddressPool":
        into.pools.append(build_pool(origin, top))
    elif kind in ("BGPAdvertisement", "L2Advertisement"):
        into.advertisements.append(build_advertisement(origin, top))
    elif kind == "BGPPeer":
        into.peers.append(build_peer(origin, top))
    elif kind == "Community":
        into.communities.extend(build_aliases(origin, top))
    elif kind == "BFDProfile":
        into.bfd_profiles.append(BFDProfile(origin))
    elif kind == "Node":
        into.nodes.append(Node(origin, top.sub("metadata").labels("labels")))
    elif kind == "Namespace":
        into.namespaces.append((origin.name, top.sub("metadata").labels("labels")))
    elif kind == "Secret":
        into.secrets.append(build_secret(origin, top))


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
    into.secrets += scratch.secrets


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
    for file in files_to_read(paths, problems, notes):
        for document in parse_file(file, problems):
            try:
                _read(document, collected, problems)
            except Invalid:
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
        secrets=_identity_order(collected.secrets),
    )
    return Loaded(config, tuple(sorted(set(problems))), tuple(notes))
