#!/bin/sh
# Start-up of the BIRD node (debian:bookworm-slim): install bird2 from Debian, address eth1, run
# BIRD in the foreground.
set -eu
apt-get update -qq
apt-get install -y -qq --no-install-recommends bird2 iproute2 >/dev/null
until ip link show eth1 >/dev/null 2>&1; do sleep 1; done
sysctl -qw net.ipv6.conf.eth1.accept_dad=0 2>/dev/null || true
ip addr add 10.0.0.2/24 dev eth1
ip addr add fd00::2/64 dev eth1 nodad
ip link set eth1 up
mkdir -p /run/bird
exec bird -f -c /lab/bird/bird.conf -s /run/bird/bird.ctl
