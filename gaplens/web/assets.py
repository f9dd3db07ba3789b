"""Static assets served by the app itself: no page ever loads anything from elsewhere.

Charts are rendered on the server as inline SVG (the same Vega-Lite specs as the PDF
report), so pages need no chart script and the Content-Security-Policy can forbid eval.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
