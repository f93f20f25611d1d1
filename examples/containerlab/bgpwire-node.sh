#!/bin/sh
# Start-up of the bgpwire node (python:3.11 image): address eth1, then run announce.py.
# Usage: bgpwire-node.sh PEER_AS PEER_IPV4 [announce.py options...]
# The python:3.11 image has no `ip`; iproute2 is installed from Debian on first start
# (the lab needs Internet access for that, as for pulling the images).
set -eu
peer_as=$1 peer=$2
shift 2
command -v ip >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
}
# containerlab creates eth1 when the link comes up; wait for it.
i=0
until ip link show eth1 >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { echo "no eth1" >&2; exit 1; }; sleep 1
done
sysctl -qw net.ipv6.conf.eth1.accept_dad=0 2>/dev/null || true
ip addr add 10.0.0.1/24 dev eth1
ip addr add fd00::1/64 dev eth1 nodad
ip link set eth1 up
exec env PYTHONPATH=/bgpwire python3 /lab/announce.py \
    --local 10.0.0.1 --peer "$peer" --local-as 65010 --peer-as "$peer_as" \
    --route 192.0.2.0/24 --route 2001:db8:10::/48 --next-hop6 fd00::1 "$@"
