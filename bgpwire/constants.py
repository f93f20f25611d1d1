"""Numbers the BGP wire format gives names to.

Every code that appears on the wire has a member here, so that no other module compares against a
bare number. Sources: RFC 4271 (base protocol), RFC 4760 (multiprotocol), RFC 5492
(capabilities), RFC 4486 and RFC 8538 (Cease subcodes), RFC 6608 (FSM subcodes), RFC 7313
(enhanced route refresh), RFC 9234 (roles), RFC 9687 (send hold timer) and the IANA registries.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

MARKER = b"\xff" * 16
"""The all-ones marker that starts every message (RFC 4271 §4.1)."""

HEADER_LENGTH = 19
"""Marker, two-octet length and one-octet type."""

MAX_MESSAGE_LENGTH = 4096
"""Largest message without the Extended Message capability (RFC 4271 §4.1)."""

MAX_EXTENDED_MESSAGE_LENGTH = 65535
"""Largest message once Extended Message is negotiated (RFC 8654)."""

AS_TRANS = 23456
"""Stands in for a 4-octet AS number where only two octets fit (RFC 6793 §9)."""

BGP_VERSION = 4


class MessageType(IntEnum):
    """The type octet of the message header (RFC 4271 §4.1, RFC 2918)."""

    OPEN = 1
    UPDATE = 2
    NOTIFICATION = 3
    KEEPALIVE = 4
    ROUTE_REFRESH = 5


class AttrType(IntEnum):
    """Path attribute type codes (IANA "BGP Path Attributes")."""

    ORIGIN = 1
    AS_PATH = 2
    NEXT_HOP = 3
    MULTI_EXIT_DISC = 4
    LOCAL_PREF = 5
    ATOMIC_AGGREGATE = 6
    AGGREGATOR = 7
    COMMUNITIES = 8
    ORIGINATOR_ID = 9
    CLUSTER_LIST = 10
    MP_REACH_NLRI = 14
    MP_UNREACH_NLRI = 15
    EXTENDED_COMMUNITIES = 16
    AS4_PATH = 17
    AS4_AGGREGATOR = 18
    AIGP = 26
    LARGE_COMMUNITY = 32
    ONLY_TO_CUSTOMER = 35


class AttrFlag(IntFlag):
    """The high four bits of the attribute flags octet (RFC 4271 §4.3)."""

    OPTIONAL = 0x80
    TRANSITIVE = 0x40
    PARTIAL = 0x20
    EXTENDED_LENGTH = 0x10


class CapabilityCode(IntEnum):
    """Capability codes (IANA "Capability Codes")."""

    MULTIPROTOCOL = 1
    ROUTE_REFRESH = 2
    EXTENDED_NEXT_HOP = 5
    EXTENDED_MESSAGE = 6
    BGP_ROLE = 9
    GRACEFUL_RESTART = 64
    FOUR_OCTET_AS = 65
    ADD_PATH = 69
    ENHANCED_ROUTE_REFRESH = 70
    LONG_LIVED_GRACEFUL_RESTART = 71
    FQDN = 73
    SOFTWARE_VERSION = 75


class OptionalParameterType(IntEnum):
    """OPEN optional parameter types (RFC 5492 §4, RFC 9072 §2)."""

    CAPABILITIES = 2
    EXTENDED_LENGTH = 255


class AFI(IntEnum):
    """Address Family Identifiers (IANA)."""

    IPV4 = 1
    IPV6 = 2
    L2VPN = 25
    BGP_LS = 16388


class SAFI(IntEnum):
    """Subsequent Address Family Identifiers (IANA)."""

    UNICAST = 1
    MULTICAST = 2
    MPLS_LABEL = 4
    VPLS = 65
    EVPN = 70
    BGP_LS = 71
    MPLS_VPN = 128
    FLOWSPEC = 133
    FLOWSPEC_VPN = 134


class ErrorCode(IntEnum):
    """NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313, RFC 9687)."""

    MESSAGE_HEADER_ERROR = 1
    OPEN_MESSAGE_ERROR = 2
    UPDATE_MESSAGE_ERROR = 3
    HOLD_TIMER_EXPIRED = 4
    FSM_ERROR = 5
    CEASE = 6
    ROUTE_REFRESH_MESSAGE_ERROR = 7
    SEND_HOLD_TIMER_EXPIRED = 8


class MessageHeaderSubcode(IntEnum):
    """Subcodes of Message Header Error (RFC 4271 §6.1)."""

    UNSPECIFIC = 0
    CONNECTION_NOT_SYNCHRONIZED = 1
    BAD_MESSAGE_LENGTH = 2
    BAD_MESSAGE_TYPE = 3


class OpenMessageSubcode(IntEnum):
    """Subcodes of OPEN Message Error (RFC 4271 §6.2, RFC 5492, RFC 9234)."""

    UNSPECIFIC = 0
    UNSUPPORTED_VERSION_NUMBER = 1
    BAD_PEER_AS = 2
    BAD_BGP_IDENTIFIER = 3
    UNSUPPORTED_OPTIONAL_PARAMETER = 4
    UNACCEPTABLE_HOLD_TIME = 6
    UNSUPPORTED_CAPABILITY = 7
    ROLE_MISMATCH = 11


class UpdateMessageSubcode(IntEnum):
    """Subcodes of UPDATE Message Error (RFC 4271 §6.3)."""

    UNSPECIFIC = 0
    MALFORMED_ATTRIBUTE_LIST = 1
    UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE = 2
    MISSING_WELL_KNOWN_ATTRIBUTE = 3
    ATTRIBUTE_FLAGS_ERROR = 4
    ATTRIBUTE_LENGTH_ERROR = 5
    INVALID_ORIGIN_ATTRIBUTE = 6
    INVALID_NEXT_HOP_ATTRIBUTE = 8
    OPTIONAL_ATTRIBUTE_ERROR = 9
    INVALID_NETWORK_FIELD = 10
    MALFORMED_AS_PATH = 11


class FSMErrorSubcode(IntEnum):
    """Subcodes of Finite State Machine Error (RFC 6608)."""

    UNSPECIFIED = 0
    UNEXPECTED_MESSAGE_IN_OPEN_SENT = 1
    UNEXPECTED_MESSAGE_IN_OPEN_CONFIRM = 2
    UNEXPECTED_MESSAGE_IN_ESTABLISHED = 3


class CeaseSubcode(IntEnum):
    """Subcodes of Cease (RFC 4486, RFC 8538, RFC 9384)."""

    UNSPECIFIC = 0
    MAXIMUM_NUMBER_OF_PREFIXES_REACHED = 1
    ADMINISTRATIVE_SHUTDOWN = 2
    PEER_DE_CONFIGURED = 3
    ADMINISTRATIVE_RESET = 4
    CONNECTION_REJECTED = 5
    OTHER_CONFIGURATION_CHANGE = 6
    CONNECTION_COLLISION_RESOLUTION = 7
    OUT_OF_RESOURCES = 8
    HARD_RESET = 9
    BFD_DOWN = 10


class RouteRefreshErrorSubcode(IntEnum):
    """Subcodes of ROUTE-REFRESH Message Error (RFC 7313 §5)."""

    RESERVED = 0
    INVALID_MESSAGE_LENGTH = 1


class UnspecificSubcode(IntEnum):
    """The one subcode of codes that define none (Hold Timer Expired, Send Hold Timer Expired)."""

    UNSPECIFIC = 0


SUBCODES: dict[ErrorCode, type[IntEnum]] = {
    ErrorCode.MESSAGE_HEADER_ERROR: MessageHeaderSubcode,
    ErrorCode.OPEN_MESSAGE_ERROR: OpenMessageSubcode,
    ErrorCode.UPDATE_MESSAGE_ERROR: UpdateMessageSubcode,
    ErrorCode.HOLD_TIMER_EXPIRED: UnspecificSubcode,
    ErrorCode.FSM_ERROR: FSMErrorSubcode,
    ErrorCode.CEASE: CeaseSubcode,
    ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR: RouteRefreshErrorSubcode,
    ErrorCode.SEND_HOLD_TIMER_EXPIRED: UnspecificSubcode,
}
"""Which subcode enumeration belongs to each error code."""


class RouteRefreshSubtype(IntEnum):
    """The message subtype octet of ROUTE-REFRESH (RFC 7313 §3.2)."""

    NORMAL = 0
    BEGIN_OF_ROUTE_REFRESH = 1
    END_OF_ROUTE_REFRESH = 2


class OriginCode(IntEnum):
    """Values of the ORIGIN attribute (RFC 4271 §5.1.1)."""

    IGP = 0
    EGP = 1
    INCOMPLETE = 2


class ASPathSegmentType(IntEnum):
    """AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3)."""

    AS_SET = 1
    AS_SEQUENCE = 2
    AS_CONFED_SEQUENCE = 3
    AS_CONFED_SET = 4


class BGPRole(IntEnum):
    """Values of the BGP Role capability (RFC 9234 §4.1)."""

    PROVIDER = 0
    ROUTE_SERVER = 1
    ROUTE_SERVER_CLIENT = 2
    CUSTOMER = 3
    PEER = 4
