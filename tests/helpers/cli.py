"""Running the CLI in the test process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.scripts import exit_status

# A profile CSV of two layers (the tool-neutral import format).
CSV = "layer,gpu_us,cpu_us,handoff_us\nconv1,5,9,2\nconv2,4,8,0\n"


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit status, stdout, stderr)."""
    from splitsched.cli import main as cli_main

    with pytest.raises(SystemExit) as exc:
        cli_main(list(args))
    captured = capsys.readouterr()
    return exit_status(exc.value.code), captured.out, captured.err


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the CLI; assert exit 2 with one ``error:`` line and no traceback; return it."""
    code, out, err = main(capsys, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden ones included): file bytes, None for a folder."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*"))}
