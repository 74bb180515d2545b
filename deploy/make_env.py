"""`make env`: write .env for compose.yaml from .env.example, each empty value a fresh random secret.

Runs on the system Python (no .venv needed) and refuses to overwrite an existing .env: a new DUBAN_SECRET_KEY would
leave notify_api unable to open what it sealed, and PostgreSQL keeps the password its volume was created with.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

SECRET_BYTES = 48  # token_urlsafe(48): 64 URL-safe characters, well over the services' 32-byte minimum


def filled(example: str) -> str:
    """The example's lines, each `NAME=` with nothing after the sign given a random secret."""
    lines = []
    for line in example.splitlines():
        name, sign, value = line.partition("=")
        if sign and not value and not name.lstrip().startswith("#"):
            line = f"{name}={secrets.token_urlsafe(SECRET_BYTES)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--example", type=Path, default=Path(".env.example"))
    parser.add_argument("--out", type=Path, default=Path(".env"))
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"{args.out} exists; it keeps its secrets (delete it first to start over with new ones)", file=sys.stderr)
        return 1
    args.out.touch(mode=0o600)  # readable by its owner only, before any secret is in it
    args.out.write_text(filled(args.example.read_text()))
    print(f"{args.out} written from {args.example} with new random secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
