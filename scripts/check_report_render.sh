#!/usr/bin/env bash
# Render RUN_DIR/report/report.html in headless Chromium (offline) and check that the
# screenshot is non-trivial: a real PNG, large enough, and not one flat colour.
# Usage: scripts/check_report_render.sh RUN_DIR [SCREENSHOT.png]
# Exit 0: rendered fine; 1: blank or broken render; 2: bad usage or no chromium.
set -euo pipefail

run_dir="${1:-}"
if [[ -z "$run_dir" ]]; then
  echo "usage: $0 RUN_DIR [SCREENSHOT.png]" >&2
  exit 2
fi
html="$(realpath "$run_dir")/report/report.html"
if [[ ! -f "$html" ]]; then
  echo "error: $html not found (run: splitsched report $run_dir)" >&2
  exit 2
fi
shot="${2:-$(realpath "$run_dir")/report/screenshot.png}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
  echo "error: no chromium found (apt-get install -y chromium)" >&2
  exit 2
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
rm -f "$shot"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --screenshot="$shot" \
  --window-size=1280,2000 "file://$html" >/dev/null 2>&1 || true
if [[ ! -s "$shot" ]]; then
  echo "FAIL: chromium wrote no screenshot" >&2
  exit 1
fi
python3 - "$shot" <<'PY'
import sys

import matplotlib.image as mpimg
import numpy as np

path = sys.argv[1]
img = mpimg.imread(path)
h, w = img.shape[:2]
rgb = img[..., :3].reshape(-1, 3)
colours = len(np.unique((rgb * 255).astype(np.uint8), axis=0))
ink = float(np.mean(np.any(rgb < 0.9, axis=1)))  # share of pixels that are not near-white
print(f"screenshot {path}: {w}x{h}, {colours} distinct colours, {ink:.1%} non-white pixels")
if w < 800 or h < 800 or colours < 50 or ink < 0.02:
    print("FAIL: the render looks blank or trivial", file=sys.stderr)
    sys.exit(1)
print("OK: report renders")
PY
