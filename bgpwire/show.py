"""The canonical JSON form of messages (documented in docs/json.md).

Kept apart from the wire types so that they stay values with no opinion on presentation. The
form is derived from the dataclass fields, so every message and attribute has one, with a few
types written the way operators read them: prefixes and addresses as text, communities as
``65000:100`` or their well-known name, enumerations by name, raw bytes as hex.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from bgpwire.attributes import Communities, ExtendedCommunities, LargeCommunities
from bgpwire.attributes.base import PathAttribute, UnknownAttribute
from bgpwire.attributes.communities import format_community
from bgpwire.constants import AttrType, CapabilityCode
from bgpwire.families import Family
from bgpwire.messages import Message, Notification
from bgpwire.messages.capability_base import Capability
from bgpwire.prefixes import PathPrefix, PrefixList

JSONValue = Any


def to_json(message: Message) -> dict[str, JSONValue]:
    """The canonical JSON object of ``message``."""
    out: dict[str, JSONValue] = {"type": message.TYPE.name}
    if isinstance(message, Notification):
        out.update(code=message.code, subcode=message.subcode, error=_error_name(message),
                   data=message.data.hex())
        text = message.shutdown_communication
        if text is not None:
            out["shutdown_communication"] = text
        return out
    out.update(_fields(message))
    return out


def _error_name(notification: Notification) -> str:
    code, subcode = notification.error_code, notification.error_subcode
    code_name = code.name if isinstance(code, Enum) else str(code)
    subcode_name = subcode.name if isinstance(subcode, Enum) else str(subcode)
    return f"{code_name}/{subcode_name}"


def dumps(message: Message, *, indent: int | None = None) -> str:
    """``to_json`` as text."""
    return json.dumps(to_json(message), indent=indent, ensure_ascii=False)


def _fields(value: Any) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if field.name in _SHOWN_ONLY_WHEN_SET and not item:
            continue  # prescribed flags, zero reserved bits, no raw bytes: nothing to say
        out[field.name] = _value(item)
    return out


_SHOWN_ONLY_WHEN_SET = frozenset({
    "flags", "problems", "reserved", "reserved_flags", "raw_next_hop", "raw_nlri", "raw_withdrawn",
    "other_parameters", "capability_groups", "extended_parameters", "other_tlvs",
})


def _capability(capability: Capability) -> dict[str, JSONValue]:
    code = capability.type_code
    known = code in CapabilityCode._value2member_map_
    out: dict[str, JSONValue] = {"type": CapabilityCode(code).name if known else "UNKNOWN"}
    out.update(_fields(capability))
    return out


def _attribute(attribute: PathAttribute) -> dict[str, JSONValue]:
    code = attribute.type_code
    name = AttrType(code).name if code in AttrType._value2member_map_ else f"ATTRIBUTE_{code}"
    out: dict[str, JSONValue] = {"type": name}
    if isinstance(attribute, Communities):
        out["values"] = [format_community(value) for value in attribute.values]
    elif isinstance(attribute, LargeCommunities | ExtendedCommunities):
        out["values"] = [str(value) for value in attribute.values]
    elif isinstance(attribute, UnknownAttribute):
        out["code"] = attribute.code
        out["value"] = attribute.value.hex()
    else:
        out.update({k: v for k, v in _fields(attribute).items() if k != "flags"})
    if attribute.flags is not None:
        out["flags"] = f"0x{attribute.flags:02x}"
    return out


def _value(item: Any) -> JSONValue:
    if isinstance(item, PathAttribute):
        return _attribute(item)
    if isinstance(item, Capability):
        return _capability(item)
    if isinstance(item, Family):
        return item.name
    if isinstance(item, Enum):
        return item.name
    if isinstance(item, bool | int | float | str) or item is None:
        return item
    if isinstance(item, bytes):
        return item.hex()
    if isinstance(item, IPv4Address | IPv6Address | IPv4Network | IPv6Network):
        return str(item)
    if isinstance(item, PathPrefix):
        return {"prefix": str(item.prefix), "path_id": item.path_id}
    if isinstance(item, tuple) and hasattr(item, "_fields"):
        return {name: _value(getattr(item, name)) for name in item._fields
                if name not in _SHOWN_ONLY_WHEN_SET or getattr(item, name)}
    if isinstance(item, tuple | list | PrefixList):
        return [_value(element) for element in item]
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return _fields(item)
    return str(item)
