"""``python -m splitsched.cli``: the same as the ``splitsched`` script."""

from splitsched.cli import main

main()
