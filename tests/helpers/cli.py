"""Running the CLI in the test process."""

from __future__ import annotations

import pytest

# A profile CSV of two layers (the tool-neutral import format).
CSV = "layer,gpu_us,cpu_us,handoff_us\nconv1,5,9,2\nconv2,4,8,0\n"


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit status, stdout, stderr)."""
    from splitsched.cli import main as cli_main

    with pytest.raises(SystemExit) as exc:
        cli_main(list(args))
    captured = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), captured.out, \
        captured.err
