"""`maventa-support`: customer service's command line over the service's HTTP API (§7).

Exit codes scripts can use: 0 done, 1 refused or not found (the API's 4xx, its message shown as it is),
2 wrong usage, 3 the API could not be reached or failed (5xx). docs/support.md shows every command.
"""

from starters.cli.app import app

__all__ = ["app"]
