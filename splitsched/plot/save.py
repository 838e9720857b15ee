"""The one PNG saver."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure


def save_png(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` as a PNG, atomically (temporary file, then rename).

    The bounding box is tightened to the drawn content. Parent folders are
    created. The figure is left open: closing it (``plt.close(fig)`` for a
    pyplot figure) is the caller's business. Returns the path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
