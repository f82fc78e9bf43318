"""`python -m store migrate | downgrade <revision> | current | rotate-secrets` on the configured database."""

import argparse

from settings import get_settings
from store.database import Sessions, unit_of_work
from store.schema import current_revision, downgrade, migrate
from store.vault import rotate_secrets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description="The store's schema and secrets.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every migration up to the newest")
    down = commands.add_parser(
        "downgrade", help="undo migrations down to a revision ('base' drops everything)"
    )
    down.add_argument("revision")
    commands.add_parser("current", help="show the revision the database is at")
    commands.add_parser("rotate-secrets", help="re-encrypt stored secrets with the first SECRETS_KEY key")
    arguments = parser.parse_args(argv)

    url = get_settings().store_url
    if arguments.command == "migrate":
        migrate(url)
    elif arguments.command == "downgrade":
        downgrade(url, arguments.revision)
    elif arguments.command == "current":
        print(current_revision(url) or "base (no migrations applied)")
    else:
        sessions = Sessions.for_url(url)
        with unit_of_work(sessions) as session:
            print(f"re-encrypted {rotate_secrets(session)} secrets with the current key")
        sessions.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
