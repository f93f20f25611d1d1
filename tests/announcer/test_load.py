"""load_paths: files, directories, kubectl exports and JSON to the model; bad input as Problems."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.load_metallb import parse_duration
from bgpwire_announcer.model import (
    Config,
    Endpoint,
    IPFamilyPolicy,
    LabelSelector,
    SelectorOperator,
    SelectorRequirement,
)

from .validate_support import bgp_advertisement, load, node, peer, pool, service, write

MANIFESTS = Path(__file__).parent / "manifests"
DUALSTACK = MANIFESTS / "dualstack"


def without_files(config: Config) -> Config:
    """The config with every Origin.file blanked: what must not depend on where things were."""

    def strip(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(replace(item, origin=replace(item.origin, file="")) for item in items)

    return replace(
        config, pools=strip(config.pools), advertisements=strip(config.advertisements),
        peers=strip(config.peers), communities=strip(config.communities),
        bfd_profiles=strip(config.bfd_profiles), services=strip(config.services),
        nodes=strip(config.nodes), endpoint_slices=strip(config.endpoint_slices),
        secrets=strip(config.secrets))


def kubectl_noise(document: dict[str, Any], index: int) -> dict[str, Any]:
    """What ``kubectl get -o yaml`` adds around an object."""
    noisy: dict[str, Any] = json.loads(json.dumps(document))
    metadata = noisy["metadata"]
    metadata.update({
        "creationTimestamp": "2026-01-05T10:00:00Z", "generation": 1,
        "resourceVersion": str(1000 + index), "uid": f"0000-{index:04d}",
        "managedFields": [{"manager": "kubectl", "operation": "Apply",
                           "fieldsV1": {"f:spec": {}}}],
    })
    metadata.setdefault("annotations", {})[
        "kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(document)
    if noisy["kind"] not in ("Service", "Node", "Namespace", "EndpointSlice"):
        noisy["status"] = {}
    return noisy


def dualstack_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for file in sorted(DUALSTACK.glob("*.yaml")):
        documents.extend(d for d in yaml.safe_load_all(file.read_text()) if d)
    return documents


# --- the sample manifests ------------------------------------------------------------------


def test_dualstack_sample_reads_every_kind_without_problems() -> None:
    loaded = load_paths([DUALSTACK])
    assert loaded.problems == ()
    config = loaded.config
    assert [p.name for p in config.pools] == ["dual", "v4-internal", "v6-manual"]
    assert [(a.name, a.bgp) for a in config.advertisements] == [
        ("internal", True), ("public-aggregate", True), ("public-hosts", True),
        ("lab-l2", False)]
    assert [s.key for s in config.services] == [
        "payments/checkout", "payments/ledger-v6", "web/api", "web/storefront"]
    assert [n.name for n in config.nodes] == ["node-a1", "node-b1", "node-b2"]
    assert [(a.name, a.value) for a in config.communities] == [
        ("no-advertise-upstream", "65000:666"), ("tenant-blue", "large:64512:1:2")]
    assert [b.origin.name for b in config.bfd_profiles] == ["fast"]
    assert dict(config.namespaces) == {"payments": (("team", "payments"),),
                                       "web": (("team", "frontend"),)}


def test_l2_advertisements_are_mentioned_once_in_notes() -> None:
    notes = load_paths([DUALSTACK]).notes
    l2_notes = [n for n in notes if "L2Advertisement" in n]
    assert l2_notes == ["L2Advertisement is accepted for compatibility and not acted on: "
                        "L2Advertisement/metallb-system/lab-l2"]


def test_peer_fields_of_both_api_versions() -> None:
    peers = {p.name: p for p in load_paths([DUALSTACK]).config.peers}
    zone_a = peers["tor-zone-a"]
    assert (zone_a.my_asn, zone_a.peer_asn, zone_a.peer_address) == (64512, 64600, "10.255.0.1")
    assert (zone_a.hold_time, zone_a.keepalive_time) == (90, 30)
    assert zone_a.password_secret == "tor-password"
    assert zone_a.bfd_profile == "fast"
    assert zone_a.router_id == "10.1.0.10"
    assert zone_a.node_selectors == (
        LabelSelector(match_labels=(("topology.kubernetes.io/zone", "zone-a"),)),)
    assert peers["tor-zone-b"].enable_graceful_restart
    reflector = peers["route-reflector-v6"]  # metallb.io/v1beta1
    assert reflector.passive and not reflector.freebind
    assert (reflector.peer_port, reflector.hold_time, reflector.internal) == (1179, 90, True)


def test_advertisement_fields_and_defaults() -> None:
    ads = {a.name: a for a in load_paths([DUALSTACK]).config.advertisements}
    hosts = ads["public-hosts"]
    assert (hosts.aggregation_length, hosts.aggregation_length_v6, hosts.local_pref) == (
        32, 128, 100)
    assert hosts.communities == ("65000:100", "tenant-blue")
    assert hosts.pool_selectors == (LabelSelector(match_labels=(("exposure", "public"),)),)
    aggregate = ads["public-aggregate"]
    assert (aggregate.aggregation_length, aggregate.aggregation_length_v6) == (26, 120)
    assert aggregate.local_pref is None
    assert aggregate.peers == ("tor-zone-a", "tor-zone-b")
    internal = ads["internal"]
    assert (internal.aggregation_length, internal.aggregation_length_v6) == (32, 128)
    assert internal.node_selectors == (LabelSelector(match_expressions=(SelectorRequirement(
        "topology.kubernetes.io/zone", SelectorOperator.IN, ("zone-a", "zone-b")),)),)


def test_services_families_requests_annotations_and_status() -> None:
    services = {s.key: s for s in load_paths([DUALSTACK]).config.services}
    storefront = services["web/storefront"]
    assert storefront.families == ("IPv6", "IPv4")  # from clusterIPs, primary first
    assert storefront.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK
    assert storefront.external_traffic_policy == "Local"
    assert storefront.namespace_labels == (("team", "frontend"),)
    api = services["web/api"]  # no clusterIPs: families from ipFamilies
    assert api.families == ("IPv4", "IPv6")
    assert (api.pool, api.allow_shared_ip) == ("dual", "web-shared")  # old prefix
    checkout = services["payments/checkout"]
    assert checkout.requested == ("198.51.100.20",)  # metallb.io/loadBalancerIPs
    assert checkout.status_ips == ("198.51.100.20",)
    ledger = services["payments/ledger-v6"]
    assert (ledger.requested, ledger.pool) == (("2001:db8:200::5",), "v6-manual")
    assert "web/internal-dns" not in services  # type ClusterIP


def test_endpoint_conditions_default_as_kubernetes_says() -> None:
    slices = {s.service: s for s in load_paths([DUALSTACK]).config.endpoint_slices}
    assert slices["payments/checkout"].endpoints == (Endpoint("node-b1", True, True),)
    assert slices["web/storefront"].endpoints == (
        Endpoint("node-a1", True, True), Endpoint("node-b1", False, True))


# --- kubectl exports and JSON --------------------------------------------------------------


def test_kubectl_list_export_reads_like_the_manifests(tmp_path: Path) -> None:
    documents = dualstack_documents()
    export = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
              "items": [kubectl_noise(d, i) for i, d in enumerate(documents)]}
    write(tmp_path / "export.yaml", [export])
    from_export = load_paths([tmp_path / "export.yaml"])
    assert from_export.problems == ()
    assert without_files(from_export.config) == without_files(load_paths([DUALSTACK]).config)
    dual = next(i for i, d in enumerate(documents) if d["metadata"]["name"] == "dual")
    assert from_export.config.pools[0].origin.file == (
        f"{tmp_path / 'export.yaml'}#1.items[{dual}]")


def test_kubectl_json_export_reads_like_the_manifests(tmp_path: Path) -> None:
    export = {"apiVersion": "v1", "kind": "List",
              "items": [kubectl_noise(d, i) for i, d in enumerate(dualstack_documents())]}
    (tmp_path / "export.json").write_text(json.dumps(export, indent=4))
    loaded = load_paths([tmp_path / "export.json"])
    assert loaded.problems == ()
    assert without_files(loaded.config) == without_files(load_paths([DUALSTACK]).config)


def test_typed_list_items_take_the_lists_kind(tmp_path: Path) -> None:
    items = [service("web", clusterIPs=["10.96.0.1"]), service("db", namespace="data")]
    for item in items:
        del item["kind"], item["apiVersion"]  # as the API returns a ServiceList
    (tmp_path / "services.json").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "ServiceList", "items": items}))
    loaded = load_paths([tmp_path / "services.json"])
    assert loaded.problems == ()
    assert [s.key for s in loaded.config.services] == ["data/db", "default/web"]


def test_yaml_in_a_json_file_is_read_as_yaml(tmp_path: Path) -> None:
    write(tmp_path / "pools.json", [pool("p", "10.0.0.0/24")])
    loaded = load_paths([tmp_path / "pools.json"])
    assert loaded.problems == ()
    assert loaded.config.pools[0].addresses == ("10.0.0.0/24",)


# --- files and directories -----------------------------------------------------------------


def test_directories_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / "b" / "deeper" / "pools.yml", [pool("deep", "10.0.1.0/24")])
    write(tmp_path / "a.yaml", [pool("top", "10.0.0.0/24")])
    write(tmp_path / ".hidden" / "ghost.yaml", [pool("ghost", "10.0.2.0/24")])
    (tmp_path / "notes.txt").write_text("not: read")
    loaded = load_paths([tmp_path])
    assert loaded.problems == ()
    assert [p.name for p in loaded.config.pools] == ["deep", "top"]
    assert loaded.config.pools[0].origin.file == f"{tmp_path / 'b' / 'deeper' / 'pools.yml'}#1"


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    file = write(tmp_path / "pools.yaml", [pool("p", "10.0.0.0/24")])
    loaded = load_paths([tmp_path, file])
    assert [p.name for p in loaded.config.pools] == ["p"]
    assert any("read once" in note for note in loaded.notes)


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    loaded = load_paths([tmp_path / "absent.yaml"])
    assert [str(p) for p in loaded.problems] == [
        f"{tmp_path / 'absent.yaml'}: file={tmp_path / 'absent.yaml'}: "
        "no such file or directory"]


def test_document_and_file_order_do_not_change_the_config(tmp_path: Path) -> None:
    documents = dualstack_documents()
    reference = without_files(load_paths([DUALSTACK]).config)
    shuffler = random.Random(7)
    for attempt in range(5):
        shuffled = documents[:]
        shuffler.shuffle(shuffled)
        half = len(shuffled) // 2
        first = write(tmp_path / f"x{attempt}-1.yaml", shuffled[:half])
        second = write(tmp_path / f"x{attempt}-2.yaml", shuffled[half:])
        loaded = load_paths([second, first])
        assert loaded.problems == ()
        assert without_files(loaded.config) == reference


# --- structural problems -------------------------------------------------------------------


def test_unparsable_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: IPAddressPool\nmetadata: {name: [unclosed\n")
    loaded = load_paths([bad])
    assert len(loaded.problems) == 1
    problem = loaded.problems[0]
    assert problem.objects == (str(bad),)
    assert problem.reason.startswith("not YAML:")


def test_a_wrong_type_names_object_field_value_and_reason(tmp_path: Path) -> None:
    loaded = load(tmp_path, [peer("tor", peerPort="one-seven-nine"), pool("p", "10.0.0.0/24")])
    assert [str(p) for p in loaded.problems] == [
        "BGPPeer/metallb-system/tor: spec.peerPort=one-seven-nine: "
        "must be an integer, not a string"]
    assert loaded.config.peers == ()  # the broken object is left out, the rest is read
    assert [p.name for p in loaded.config.pools] == ["p"]


def test_a_document_without_name_is_named_by_file_and_index(tmp_path: Path) -> None:
    nameless = pool("x", "10.0.0.0/24")
    del nameless["metadata"]["name"]
    file = write(tmp_path / "c.yaml", [pool("p", "10.1.0.0/24"), nameless])
    assert [str(p) for p in load_paths([file]).problems] == [
        f"{file}#2: metadata.name=: is required"]


def test_a_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    file = tmp_path / "list.yaml"
    file.write_text("- just\n- a list\n")
    problems = load_paths([file]).problems
    assert [(p.objects, p.field, p.reason) for p in problems] == [
        ((f"{file}#1",), "document", "must be a mapping, not a list")]


@pytest.mark.parametrize(("spec", "field", "reason"), [
    ({"holdTime": "90"}, "spec.holdTime", "expected a duration such as 90s or 1m30s"),
    ({"holdTime": "1500ms"}, "spec.holdTime", "BGP timers are whole seconds"),
    ({"keepaliveTime": 30}, "spec.keepaliveTime", "must be a string, not an integer"),
    ({"ebgpMultiHop": "yes"}, "spec.ebgpMultiHop", "must be true or false, not a string"),
    ({"dynamicASN": "external"}, "spec.dynamicASN",
     "not supported by bgpwire-announcer: give peerASN instead"),
    ({"nodeSelectors": [{"matchExpressions": [{"key": "zone", "operator": "Like"}]}]},
     "spec.nodeSelectors[0].matchExpressions[0].operator",
     "must be one of In, NotIn, Exists, DoesNotExist"),
    ({"nodeSelectors": [{"matchExpressions": [{"key": "zone", "operator": "In"}]}]},
     "spec.nodeSelectors[0].matchExpressions[0].values", "In needs at least one value"),
])
def test_peer_field_problems(tmp_path: Path, spec: dict[str, Any], field: str,
                             reason: str) -> None:
    problems = load(tmp_path, [peer("tor", **spec)]).problems
    assert [(p.objects, p.field, p.reason) for p in problems] == [
        (("BGPPeer/metallb-system/tor",), field, reason)]


def test_bgpwire_annotations_are_read_and_checked(tmp_path: Path) -> None:
    loaded = load(tmp_path, [
        peer("on", annotations={"bgpwire.io/freebind": "true", "bgpwire.io/passive": "True"}),
        peer("bad", annotations={"bgpwire.io/freebind": "yes"})])
    assert [(p.field, p.value) for p in loaded.problems] == [
        ("metadata.annotations.bgpwire.io/freebind", "yes")]
    (on,) = loaded.config.peers
    assert on.freebind and on.passive


def test_both_annotation_prefixes_and_a_conflict_between_them(tmp_path: Path) -> None:
    loaded = load(tmp_path, [
        service("new", annotations={"metallb.io/address-pool": "a",
                                    "metallb.io/ip-allocated-from-pool": "a"}),
        service("same", annotations={"metallb.io/address-pool": "a",
                                     "metallb.universe.tf/address-pool": "a"}),
        service("clash", annotations={"metallb.io/address-pool": "a",
                                      "metallb.universe.tf/address-pool": "b"})])
    assert [str(p) for p in loaded.problems] == [
        "Service/default/clash: metadata.annotations.metallb.io/address-pool=a: differs from "
        "metallb.universe.tf/address-pool=b; give one of them"]
    services = {s.origin.name: s for s in loaded.config.services}
    assert services["new"].pool == "a" and services["new"].allocated_from_pool == "a"
    assert services["same"].pool == "a"


def test_requested_addresses_join_spec_and_annotation(tmp_path: Path) -> None:
    loaded = load(tmp_path, [service(
        "svc", loadBalancerIP="10.0.0.5",
        annotations={"metallb.universe.tf/loadBalancerIPs": "10.0.0.5, 2001:db8::5,"})])
    assert loaded.config.services[0].requested == ("10.0.0.5", "2001:db8::5")


def test_service_families_default_to_ipv4(tmp_path: Path) -> None:
    loaded = load(tmp_path, [service("plain"), service("v6", ipFamilies=["IPv6"]),
                             service("odd", ipFamilies=["IPv5"])])
    assert [(p.field, p.value) for p in loaded.problems] == [("spec.ipFamilies[0]", "IPv5")]
    families = {s.origin.name: s.families for s in loaded.config.services}
    assert families == {"plain": ("IPv4",), "v6": ("IPv6",)}


def test_unknown_kinds_and_other_groups_are_ignored(tmp_path: Path) -> None:
    calico_peer = {"apiVersion": "crd.projectcalico.org/v1", "kind": "BGPPeer",
                   "metadata": {"name": "calico"}, "spec": {"peerIP": "10.0.0.1"}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
    loaded = load(tmp_path, [calico_peer, deployment, node("n1")])
    assert loaded.problems == ()
    assert loaded.config.peers == ()
    assert [n.name for n in loaded.config.nodes] == ["n1"]
    assert "BGPPeer (1)" in loaded.notes[-1] and "Deployment (1)" in loaded.notes[-1]


def test_an_unknown_metallb_version_is_a_problem(tmp_path: Path) -> None:
    old = pool("p", "10.0.0.0/24")
    old["apiVersion"] = "metallb.io/v1alpha1"
    problems = load(tmp_path, [old]).problems
    assert [(p.field, p.value, p.reason) for p in problems] == [
        ("apiVersion", "metallb.io/v1alpha1", "IPAddressPool is read as metallb.io/v1beta1")]


def test_endpoint_slices_without_service_label_are_ignored(tmp_path: Path) -> None:
    orphan = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "manual", "namespace": "default"}, "addressType": "IPv4",
              "endpoints": [{"addresses": ["10.0.0.1"]}]}
    loaded = load(tmp_path, [orphan])
    assert loaded.problems == () and loaded.config.endpoint_slices == ()


def test_missing_ready_counts_as_ready_and_serving_follows_ready(tmp_path: Path) -> None:
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "s", "namespace": "web",
                           "labels": {"kubernetes.io/service-name": "shop"}},
              "endpoints": [{"addresses": ["10.0.0.1"], "nodeName": "n1"},
                            {"addresses": ["10.0.0.2"], "nodeName": "n2",
                             "conditions": {"ready": False}}]}
    (loaded,) = load(tmp_path, [slice_]).config.endpoint_slices
    assert loaded.service == "web/shop"
    assert loaded.endpoints == (Endpoint("n1", True, True), Endpoint("n2", False, False))


def test_advertisement_local_pref_and_lengths_are_read_as_given(tmp_path: Path) -> None:
    (advertisement,) = load(tmp_path, [bgp_advertisement(
        "a", aggregationLength=24, aggregationLengthV6=64, localPref=0)]).config.advertisements
    assert (advertisement.aggregation_length, advertisement.aggregation_length_v6) == (24, 64)
    assert advertisement.local_pref == 0


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("1m30s", 90), ("1.5m", 90), ("0", 0), ("1h", 3600), ("3000ms", 3),
    ("0s", 0)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["90", "-1s", "1x", "", "1m 30s", "0.5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|whole seconds"):
        parse_duration(text)


def test_repeated_names_are_ordered_by_content_not_by_position(tmp_path: Path) -> None:
    one, two = pool("p", "10.0.1.0/24"), pool("p", "10.0.0.0/24")
    forward = load(tmp_path, [one, two]).config
    backward = load_paths([write(tmp_path / "other.yaml", [two, one])]).config
    assert without_files(forward) == without_files(backward)
    assert [p.addresses for p in forward.pools] == [("10.0.0.0/24",), ("10.0.1.0/24",)]


def test_the_kubectl_export_sample_reads_like_the_dualstack_sample() -> None:
    loaded = load_paths([MANIFESTS / "kubectl-export"])
    assert loaded.problems == ()
    assert without_files(loaded.config) == without_files(load_paths([DUALSTACK]).config)
    assert any("Deployment (1)" in note for note in loaded.notes)


def test_unquoted_colon_numbers_stay_strings_as_in_kubectl(tmp_path: Path) -> None:
    """YAML 1.1 would read 65000:10 as the base-60 number 3900010 (and 2001:1:2:3:4:5:6:7 as
    an integer too); kubectl keeps them as written, and so does the loader."""
    file = tmp_path / "unquoted.yaml"
    file.write_text(
        "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\n"
        "metadata: {name: ad, namespace: metallb-system}\n"
        "spec:\n  communities: [65000:10, 65535:65282]\n  localPref: 100\n---\n"
        "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\n"
        "metadata: {name: p, namespace: metallb-system}\n"
        "spec: {myASN: 64512, peerASN: 64513, peerAddress: 2001:1:2:3:4:5:6:7}\n---\n"
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {since: 2024-01-01}\n")
    loaded = load_paths([file])
    assert loaded.problems == ()
    assert loaded.config.advertisements[0].communities == ("65000:10", "65535:65282")
    assert loaded.config.advertisements[0].local_pref == 100
    assert loaded.config.peers[0].peer_address == "2001:1:2:3:4:5:6:7"
    assert loaded.config.nodes[0].labels == (("since", "2024-01-01"),)


def test_a_link_back_to_a_parent_directory_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "pools.yaml", [pool("p", "10.0.0.0/24")])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    loaded = load_paths([tmp_path])
    assert loaded.problems == ()
    assert [p.name for p in loaded.config.pools] == ["p"]


def test_a_broken_json_file_names_both_formats(tmp_path: Path) -> None:
    file = tmp_path / "broken.json"
    file.write_text('{"apiVersion": "v1", "kind": "List", "items": [')
    (problem,) = load_paths([file]).problems
    assert problem.reason.startswith("neither JSON nor YAML: ")
