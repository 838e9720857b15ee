"""``python -m splitsched``: the same as the ``splitsched`` script."""

from splitsched.cli import main

main()
