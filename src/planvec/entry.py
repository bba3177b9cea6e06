"""The ``planvec`` console script: imports the CLI inside :func:`main`, so that Ctrl-C while the
CLI's modules load (about a second) ends with "interrupted" and exit code 130, not a traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from planvec.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    return cli_main()
