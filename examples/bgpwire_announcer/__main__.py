"""``python -m bgpwire_announcer``: the same as the ``bgpwire-announcer`` command."""

import sys

from bgpwire_announcer.cli import main

sys.exit(main())
