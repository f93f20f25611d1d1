"""Small builders of MetalLB / Kubernetes documents for the loader and validator tests.

Each returns a plain mapping as kubectl would read it; :func:`write` turns a list of them into a
multi-document YAML file, and :func:`check` runs the loader and the validator on it.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from bgpwire_announcer.load import Loaded, load_paths
from bgpwire_announcer.validate import validate

NAMESPACE = "metallb-system"
Doc = dict[str, Any]


def _metallb(kind: str, name: str, spec: Doc, *, version: str = "v1beta1",
             labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None) -> Doc:
    metadata: Doc = {"name": name, "namespace": NAMESPACE}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": f"metallb.io/{version}", "kind": kind, "metadata": metadata,
            "spec": spec}


def pool(name: str, *addresses: str, labels: dict[str, str] | None = None, **spec: Any) -> Doc:
    return _metallb("IPAddressPool", name, {"addresses": list(addresses), **spec},
                    labels=labels)


def bgp_advertisement(name: str, **spec: Any) -> Doc:
    return _metallb("BGPAdvertisement", name, spec)


def l2_advertisement(name: str, **spec: Any) -> Doc:
    return _metallb("L2Advertisement", name, spec)


def peer(name: str, address: str = "192.0.2.1", *, my_asn: int = 64512, peer_asn: int = 64600,
         version: str = "v1beta2", annotations: dict[str, str] | None = None,
         **spec: Any) -> Doc:
    body = {"myASN": my_asn, "peerASN": peer_asn, "peerAddress": address, **spec}
    return _metallb("BGPPeer", name, body, version=version, annotations=annotations)


def community(name: str, **aliases: str) -> Doc:
    return _metallb("Community", name, {
        "communities": [{"name": key, "value": value} for key, value in aliases.items()]})


def bfd_profile(name: str) -> Doc:
    return _metallb("BFDProfile", name, {"receiveInterval": 300})


def secret(name: str, password: str | None = None, *, namespace: str = NAMESPACE,
           type_: str = "kubernetes.io/basic-auth", **fields: Any) -> Doc:
    """A ``v1 Secret`` whose ``data.password`` is ``password`` in base64 (``fields`` adds or
    replaces top-level fields such as ``stringData``)."""
    body: Doc = {"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": name, "namespace": namespace}, "type": type_}
    if password is not None:
        body["data"] = {"password": base64.b64encode(password.encode()).decode()}
    return {**body, **fields}


def node(name: str, **labels: str) -> Doc:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}}}


def zone_selector(*zones: str) -> list[Doc]:
    """``nodeSelectors`` picking nodes of the given zones."""
    return [{"matchExpressions": [{"key": "zone", "operator": "In", "values": list(zones)}]}]


def service(name: str, namespace: str = "default", annotations: dict[str, str] | None = None,
            status_ips: tuple[str, ...] = (), **spec: Any) -> Doc:
    metadata: Doc = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    body: Doc = {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
                 "spec": {"type": "LoadBalancer", **spec}}
    if status_ips:
        body["status"] = {"loadBalancer": {"ingress": [{"ip": ip} for ip in status_ips]}}
    return body


def write(path: Path, documents: list[Doc]) -> Path:
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return path


def load(tmp_path: Path, documents: list[Doc]) -> Loaded:
    return load_paths([write(tmp_path / "config.yaml", documents)])


def check(tmp_path: Path, documents: list[Doc], node_name: str | None = None) -> list[str]:
    """The validator's lines for ``documents``; the loader must have had nothing to say."""
    loaded = load(tmp_path, documents)
    assert loaded.problems == (), [str(p) for p in loaded.problems]
    return [str(problem) for problem in validate(loaded.config, node_name)]
