"""Files and directories to documents: the first half of :func:`.load.load_paths`.

Which files are read (directories recursively, hidden entries skipped, a file reached twice read
once), how YAML and JSON are parsed (the way kubectl parses them, not the way YAML 1.1 allows),
and how ``List`` documents are flattened into their items. What the documents mean is the
builders' business (:mod:`.load_metallb`, :mod:`.load_kubernetes`); a file or document that
cannot be read becomes a :class:`~.model.Problem` here and is skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bgpwire_announcer.load_fields import show, type_name
from bgpwire_announcer.model import Problem

SUFFIXES = (".yaml", ".yml", ".json")

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


@dataclass(frozen=True, slots=True)
class Document:
    body: dict[str, Any]
    where: str
    """``path#N`` (documents counted from 1), ``path#N.items[i]`` for a List's items."""


def files_to_read(paths: Sequence[str | os.PathLike[str]], problems: list[Problem],
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


def parse_file(file: Path, problems: list[Problem]) -> list[Document]:
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
    out: list[Document] = []
    for index, body in enumerate(bodies, start=1):
        out.extend(_unlist(body, f"{file}#{index}", problems, None, None))
    return out


def _unlist(body: object, where: str, problems: list[Problem], kind: str | None,
            api_version: str | None) -> Iterator[Document]:
    """One document, or the items of a List (recursively)."""
    if body is None:
        return
    if not isinstance(body, dict):
        problems.append(Problem((where,), "document", show(body),
                                f"must be a mapping, not {type_name(body)}"))
        return
    if kind is not None and "kind" not in body:
        body = {**body, "kind": kind}
    if api_version is not None and "apiVersion" not in body:
        body = {**body, "apiVersion": api_version}
    body_kind = body.get("kind")
    if isinstance(body_kind, str) and body_kind.endswith("List") and "items" in body:
        items = body.get("items") or []
        if not isinstance(items, list):
            problems.append(Problem((where,), "items", show(items),
                                    f"must be a list, not {type_name(items)}"))
            return
        item_kind = None if body_kind == "List" else body_kind[: -len("List")]
        item_version = None if body_kind == "List" else body.get("apiVersion")
        for index, item in enumerate(items):
            yield from _unlist(item, f"{where}.items[{index}]", problems, item_kind,
                               item_version if isinstance(item_version, str) else None)
        return
    yield Document(body, where)

