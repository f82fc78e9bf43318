"""`python -m security new-key`: print a fresh key to put first in SECRETS_KEY (old ones stay after it)."""

import sys

from security.keys import new_key


def main(argv: list[str]) -> int:
    if argv != ["new-key"]:
        print("usage: python -m security new-key", file=sys.stderr)
        return 2
    print(new_key())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
