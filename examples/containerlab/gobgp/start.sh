#!/bin/sh
# Start-up of the GoBGP node (debian:bookworm-slim): install gobgpd from Debian, address eth1,
# originate one route per family once gobgpd answers, then wait on gobgpd.
set -eu
apt-get update -qq
apt-get install -y -qq --no-install-recommends gobgpd iproute2 >/dev/null
until ip link show eth1 >/dev/null 2>&1; do sleep 1; done
sysctl -qw net.ipv6.conf.eth1.accept_dad=0 2>/dev/null || true
ip addr add 10.0.0.2/24 dev eth1
ip addr add fd00::2/64 dev eth1 nodad
ip link set eth1 up
gobgpd -f /lab/gobgp/gobgpd.toml -t toml --pprof-disable -p &
until gobgp global >/dev/null 2>&1; do sleep 0.5; done
gobgp global rib add -a ipv4 198.51.100.2/32
gobgp global rib add -a ipv6 2001:db8:2::/48
wait
