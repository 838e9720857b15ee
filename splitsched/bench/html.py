"""A self-contained ``report.html``: tables inline, plots as base64 data URIs.

No external stylesheet, script or font, so the page reads the same offline
and survives being mailed or archived as one file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from splitsched.bench.tables import format_cell

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
.flags{background:#ffe5e5;border:2px solid #c00000;padding:8px 14px;color:#800}
.ok{background:#e9f7e9;border:1px solid #3a3;padding:6px 14px}
.note{color:#555;font-size:13px}img{max-width:100%;border:1px solid #eee;margin:6px 0}
figure{margin:0 0 18px}figcaption{color:#333;font-size:13px;max-width:70em}
"""


def table_html(df: pd.DataFrame) -> str:
    """An HTML table with the same cell formatting as the Markdown tables."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(format_cell(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image_html(path: Path, alt: str) -> str:
    """An <img> with the PNG inlined as a data URI."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render(title: str, facts: Sequence[str], tables: Mapping[str, pd.DataFrame],
           plots: Mapping[str, Path], definitions: Sequence[str],
           captions: Mapping[str, str] | None = None) -> str:
    """The whole page as a string; ``captions`` (plot name -> what it shows) go under the
    plots."""
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             "<ul class='note'>" + "".join(f"<li>{html.escape(f)}</li>" for f in facts) + "</ul>"]
    flags = tables.get("flags")
    if flags is not None and len(flags):
        parts.append(f"<div class='flags'><h2>Consistency checks FAILED ({len(flags)})</h2>"
                     + table_html(flags) + "</div>")
    else:
        parts.append("<div class='ok'>Consistency checks passed: no false optimality claim, "
                     "no bound above a feasible schedule.</div>")
    parts.append("<h2>Per solver</h2>" + table_html(tables["solvers"]))
    parts.append("<h2>Definitions</h2><ul class='note'>"
                 + "".join(f"<li>{html.escape(d)}</li>" for d in definitions) + "</ul>")
    headings = {"performance_profile": "Performance profile of runtime",
                "miss_rate_vs_load": "Miss rate against load",
                "gap_vs_jobs": "Gap to best known against number of jobs",
                "runtime_vs_jobs": "Runtime against number of jobs",
                "gantt": "Gantt chart: one instance under several solvers"}
    parts.append("<h2>Plots</h2>")
    for name, path in plots.items():
        heading = headings.get(name, name)
        caption = (captions or {}).get(name)
        parts.append(f"<figure><h3>{html.escape(heading)}</h3>" + image_html(path, heading)
                     + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
                     + "</figure>")
    parts.append("<h2>Per instance</h2>" + table_html(tables["instances"]))
    parts.append("</body></html>\n")
    return "\n".join(parts)
