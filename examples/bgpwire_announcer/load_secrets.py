"""``v1 Secret`` as a model object: only what a BGPPeer's ``passwordSecret`` needs.

A Secret holds more than the announcer should see, so the builder reads three things and
nothing else: ``type``, ``data.password`` (base64, decoded strictly, as the API server would
refuse anything else) and ``stringData.password`` (plain text, as written in a hand-made
manifest; the API server merges it over ``data`` on apply, so it wins here too). Every
message about these fields shows :data:`HIDDEN` in place of the value: a malformed password is
still a password.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bgpwire_announcer.load_fields import Fields, type_name
from bgpwire_announcer.model import Origin, Secret

HIDDEN = "(hidden)"
"""What a message shows where a Secret's value would be."""


def _mapping(top: Fields, key: str) -> dict[str, Any]:
    value = top.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        top.bad(key, HIDDEN, f"must be a mapping, not {type_name(value)}")
        return {}
    return value


def _decoded(top: Fields, field: str, value: object) -> str | None:
    """``data.password`` as text; a problem (without the value) when it is not base64 of
    UTF-8 text."""
    if not isinstance(value, str):
        top.bad(field, HIDDEN, f"must be a base64 string, not {type_name(value)}")
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        top.bad(field, HIDDEN, "is not valid base64")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        top.bad(field, HIDDEN, "does not decode to UTF-8 text, which a TCP-MD5 key is "
                               "given as here")
        return None


def build_secret(origin: Origin, top: Fields) -> Secret:
    kind = top.data.get("type")
    if kind is not None and not isinstance(kind, str):
        top.bad("type", kind, f"must be a string, not {type_name(kind)}")
    secret_type = kind.strip() if isinstance(kind, str) and kind.strip() else "Opaque"
    data, string_data = _mapping(top, "data"), _mapping(top, "stringData")
    if "password" in string_data:
        plain = string_data["password"]
        if isinstance(plain, str):
            return Secret(origin, secret_type, plain, "stringData.password")
        top.bad("stringData.password", HIDDEN, f"must be a string, not {type_name(plain)}")
        return Secret(origin, secret_type)
    if "password" in data:
        return Secret(origin, secret_type, _decoded(top, "data.password", data["password"]))
    return Secret(origin, secret_type)
