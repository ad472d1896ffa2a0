"""``python -m event_constructs defaults``: the table of every construct's defaults, in Markdown.

With ``--write FILE`` the table between FILE's ``<!-- defaults:start -->`` and ``<!-- defaults:end -->``
markers is rewritten instead (``--write README.md`` in this repository).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from event_constructs.defaults import TABLE_END, TABLE_START, markdown_table, with_table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m event_constructs", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = commands.add_parser("defaults", help="print the table of every construct's defaults (Markdown)")
    defaults.add_argument(
        "--write",
        metavar="FILE",
        type=Path,
        help=f"rewrite the table between FILE's {TABLE_START} and {TABLE_END} markers instead of printing it",
    )
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(markdown_table())
        return 0
    try:
        document = args.write.read_text()
        updated = with_table(document)
    except (OSError, ValueError) as error:
        print(f"{args.write}: {error}", file=sys.stderr)
        return 1
    if updated == document:
        print(f"{args.write}: the table of defaults is current")
    else:
        args.write.write_text(updated)
        print(f"{args.write}: the table of defaults rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
