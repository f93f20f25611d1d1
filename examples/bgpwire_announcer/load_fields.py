"""Typed reads of a Kubernetes document, for the loader's builders (:mod:`.load_metallb`,
:mod:`.load_kubernetes`).

A document is whatever YAML or JSON gave: any value may have any type. :class:`Fields` reads one
mapping of it with the type each field should have, and records every wrong value as a
:class:`~.model.Problem` (with the full field path, ``spec.peerPort``) instead of raising, so
that one read of a document reports all of its mistakes at once. Only a missing identity
(:meth:`Fields.required_text`) stops the object, by raising :class:`Invalid`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bgpwire_announcer.model import LabelSelector, Problem, SelectorOperator, SelectorRequirement


class Invalid(Exception):
    """Raised inside a builder once a problem has been recorded: the object is left out."""


def show(value: object) -> str:
    """A value as a message quotes it: strings as they are, the rest as JSON, cut to 80."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def type_name(value: object) -> str:
    """What a value is, with its article, for "must be X, not Y" messages."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), f"a {type(value).__name__}")


class Fields:
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
        self.problems.append(Problem((self.ref,), field, show(value), reason))

    def _typed(self, key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in kinds:
            self.bad(self.field(key), value, f"must be {what}, not {type_name(value)}")
            return None
        if not isinstance(value, kinds):
            self.bad(self.field(key), value, f"must be {what}, not {type_name(value)}")
            return None
        return value

    def text(self, key: str) -> str | None:
        value: str | None = self._typed(key, (str,), "a string")
        return value

    def required_text(self, key: str) -> str:
        """A non-empty string; raises :class:`Invalid` (after recording why) otherwise."""
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            missing = value is None or (isinstance(value, str) and not value.strip())
            reason = "is required" if missing else f"must be a string, not {type_name(value)}"
            self.bad(self.field(key), "" if value is None else value, reason)
            raise Invalid
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
                         f"must be a string, not {type_name(item)}")
        return tuple(out)

    def sub(self, key: str) -> Fields:
        value = self._typed(key, (dict,), "a mapping")
        return Fields(self.problems, self.ref, value or {}, self.field(key))

    def subs(self, key: str) -> list[Fields]:
        items = self._typed(key, (list,), "a list of mappings")
        out: list[Fields] = []
        for index, item in enumerate(items or ()):
            path = f"{self.field(key)}[{index}]"
            if isinstance(item, dict):
                out.append(Fields(self.problems, self.ref, item, path))
            else:
                self.bad(path, item, f"must be a mapping, not {type_name(item)}")
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
                         f"label keys and values must be strings, not {type_name(text)}")
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

