"""Which nodes a list of label selectors selects, and whether two lists can select one node.

Rules 4 and 5 of validation (see ``docs/announcer-config.md``) are about two objects acting on
the same node. With Node documents given, the known nodes decide; without them any node may
join, so two selector lists overlap as soon as some set of labels satisfies both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bgpwire_announcer.model import LabelSelector, Node, SelectorOperator, any_matches


def _joint_labels(first: LabelSelector, second: LabelSelector) -> dict[str, str] | None:
    """Labels that both selectors match, or None when no node can satisfy both."""
    wanted: dict[str, set[str] | None] = {}  # key -> allowed values (None: any value)
    refused: dict[str, set[str]] = defaultdict(set)
    absent: set[str] = set()
    requirements: list[tuple[str, SelectorOperator, tuple[str, ...]]]
    requirements = [(key, SelectorOperator.IN, (value,))
                    for selector in (first, second) for key, value in selector.match_labels]
    requirements += [(r.key, r.operator, r.values)
                     for selector in (first, second) for r in selector.match_expressions]
    for key, operator, values in requirements:
        if operator is SelectorOperator.IN:
            before = wanted.get(key)
            wanted[key] = set(values) if before is None else before & set(values)
        elif operator is SelectorOperator.EXISTS:
            wanted.setdefault(key, None)
        elif operator is SelectorOperator.NOT_IN:
            refused[key] |= set(values)
        else:
            absent.add(key)
    labels: dict[str, str] = {}
    for key, allowed in wanted.items():
        if key in absent:
            return None
        if allowed is None:
            labels[key] = next(f"x{n}" for n in range(len(refused[key]) + 1)
                               if f"x{n}" not in refused[key])
        else:
            choices = sorted(allowed - refused[key])
            if not choices:
                return None
            labels[key] = choices[0]
    return labels


def _describe(labels: dict[str, str]) -> str:
    if not labels:
        return "any node (no Node documents given)"
    shown = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return f"a node labelled {shown} (no Node documents given)"


class NodeSets:
    """The known nodes, and for each selector list the names of the nodes it selects (computed
    once per list: rules 4 and 5 compare every pair of peers and of advertisements)."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.labels = {node.name: {"kubernetes.io/hostname": node.name, **dict(node.labels)}
                       for node in nodes}  # the hostname label as the kubelet sets it
        self._selected: dict[tuple[LabelSelector, ...], frozenset[str]] = {}

    def selected(self, selectors: tuple[LabelSelector, ...]) -> frozenset[str]:
        found = self._selected.get(selectors)
        if found is None:
            found = frozenset(name for name, labels in self.labels.items()
                              if any_matches(selectors, labels))
            self._selected[selectors] = found
        return found

    def shared(self, first: tuple[LabelSelector, ...],
               second: tuple[LabelSelector, ...]) -> str | None:
        """A node both lists select, as a message names it, or None when they select disjoint
        sets. With Node documents the known nodes decide; without any, two lists overlap when
        some set of labels satisfies both, since any such node may join the cluster."""
        if self.labels:
            common = self.selected(first) & self.selected(second)
            return f"node {min(common)}" if common else None
        everything = (LabelSelector(),)
        for a in first or everything:
            for b in second or everything:
                joint = _joint_labels(a, b)
                if joint is not None:
                    return _describe(joint)
        return None


def shared_node(first: tuple[LabelSelector, ...], second: tuple[LabelSelector, ...],
                nodes: Sequence[Node]) -> str | None:
    """:meth:`NodeSets.shared` for one pair."""
    return NodeSets(nodes).shared(first, second)
