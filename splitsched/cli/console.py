"""The two rich consoles every command prints through: ``out`` (stdout) and ``err`` (stderr).

Output piped to a file or another program gets a wide fixed width, so tables
are never cut to 80 columns. Commands that print plain lines pass
``highlight=False`` (and ``soft_wrap=True`` where a line must never wrap);
no other console exists in the package.
"""

from __future__ import annotations

import sys

from rich.console import Console

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
