"""The README's Python quickstart runs as written and does what it says (XOR learned)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_quickstart_runs_and_learns_xor() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    quickstart = next(b for b in blocks if "optim.Adam" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(quickstart, str(README), "exec"), {})
    assert "tensor([0, 1, 1, 0]" in out.getvalue()
