"""A BGPPeer's ``passwordSecret``: checking that it names a usable Secret, then reading it.

MetalLB reads the Secret by name from the namespace it runs in, which is where its BGPPeers are,
and wants it of type ``kubernetes.io/basic-auth`` with the TCP-MD5 password under ``password``.
:func:`check_password_secrets` applies those rules for :mod:`.validate`, and adds what would
otherwise fail later and less clearly: an empty password (a session without the MD5 key the
router expects would only be refused), one longer than a TCP-MD5 key can be, and a line break
(usually the newline ``echo`` adds before ``base64``; MetalLB refuses it too). Those rules on
the password itself are :func:`password_problem`, which :mod:`.validate_peers` applies to an
inline ``spec.password`` as well, so that both ways of giving a key fail at ``check`` rather
than when the session sets the socket option. Once the configuration is valid,
:func:`resolve_passwords` puts each Secret's password into its peers' ``password``, so the
session code has a single source and a changed Secret changes the sessions of exactly the
peers that use it.

No message here contains a password: the value shown is its length, ``(hidden)``, or nothing.
"""

from __future__ import annotations

from dataclasses import replace

from bgpwire.aio.options import MD5_MAX_KEY_LENGTH
from bgpwire_announcer.load_secrets import HIDDEN
from bgpwire_announcer.model import BGPPeer, Config, Origin, Secret
from bgpwire_announcer.validate_report import ProblemReport

BASIC_AUTH = "kubernetes.io/basic-auth"


def password_problem(password: str) -> tuple[str, str] | None:
    """The value to show and the reason for the first rule ``password`` breaks as a TCP-MD5
    key, or None when it can be one. The value shown is never the password: nothing for an
    empty one, :data:`HIDDEN` for a line break, the length for one too long. A line break is
    looked for before the length, since it is the usual cause of a key one octet too long.

    An empty inline ``spec.password`` means no password (as in MetalLB), so its caller checks
    only a non-empty one; an empty password in a Secret that a peer names is a mistake."""
    if not password:
        return "", "is empty"
    if "\n" in password or "\r" in password:
        return HIDDEN, "contains a line break (often the newline of echo before base64)"
    octets = len(password.encode("utf-8"))
    if octets > MD5_MAX_KEY_LENGTH:
        return f"{octets} octets", f"a TCP-MD5 key is at most {MD5_MAX_KEY_LENGTH} octets"
    return None


def _secrets(config: Config) -> dict[tuple[str, str], Secret]:
    return {(secret.origin.namespace, secret.origin.name): secret for secret in config.secrets}


def _check(peer: BGPPeer, name: str, secrets: dict[tuple[str, str], Secret],
           report: ProblemReport) -> None:
    namespace = peer.origin.namespace
    if peer.password_secret_namespace not in (None, namespace):
        report.add([peer.origin], "spec.passwordSecret.namespace",
                   peer.password_secret_namespace,
                   f"the Secret must be in the BGPPeer's namespace ({namespace or 'none'}): "
                   "MetalLB reads Secrets only from the namespace it runs in")
        return
    secret = secrets.get((namespace, name))
    if secret is None:
        wanted = Origin("Secret", namespace, name).ref
        report.add([peer.origin], "spec.passwordSecret", name,
                   f"no {wanted} among the inputs")
        return
    origins = [peer.origin, secret.origin]
    password = secret.password
    if secret.type != BASIC_AUTH:
        report.add(origins, "type", secret.type, f"passwordSecret needs a Secret of type "
                                                  f"{BASIC_AUTH}")
    elif password is None:
        report.add(origins, "data.password", "", "missing: passwordSecret reads the TCP-MD5 "
                                                  "password from this key")
    else:
        broken = password_problem(password)
        if broken is not None:
            report.add(origins, secret.password_field, *broken)


def check_password_secrets(config: Config, report: ProblemReport) -> None:
    """Each BGPPeer's ``passwordSecret`` names a basic-auth Secret in the peer's namespace
    whose password can be a TCP-MD5 key. A peer that also has ``password`` is left to the
    mutual-exclusion check of :mod:`.validate_peers`."""
    secrets = _secrets(config)
    for peer in config.peers:
        if peer.password_secret is not None and peer.password is None:
            _check(peer, peer.password_secret, secrets, report)


def resolve_passwords(config: Config) -> Config:
    """``config`` with each passwordSecret's password in its peer's ``password``, and without
    the Secrets (nothing after this needs them). Call it on a valid configuration only: a
    reference that does not resolve leaves the peer without a password."""
    secrets = _secrets(config)
    peers: list[BGPPeer] = []
    for peer in config.peers:
        secret = None
        if peer.password_secret is not None and peer.password is None:
            secret = secrets.get((peer.origin.namespace, peer.password_secret))
        peers.append(peer if secret is None else replace(peer, password=secret.password))
    return replace(config, peers=tuple(peers), secrets=())
