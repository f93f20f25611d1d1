"""The load-balancer announcer: MetalLB's BGP mode built on bgpwire.

It reads MetalLB's own manifests (pools, advertisements, peers) with Kubernetes Services and
Nodes, assigns service addresses from the pools and announces them over bgpwire sessions. The
pipeline is: :mod:`.load` (files to :mod:`.model` values), :mod:`.validate` (the verdict of
``check``), :mod:`.allocate` (addresses, with :mod:`.state` for restarts), :mod:`.plan` (the
routes of one node), and :mod:`.runtime` (the speaker that makes the plan true).
"""
