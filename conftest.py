"""Collection rules for the doctests of optional subpackages (``testpaths`` includes the
package): a subpackage whose extra is not installed is not collected, except in CI (CI=true),
where the extra must be there and a missing one fails loudly."""

from __future__ import annotations

import importlib.util
import os

#: subpackage directory -> the module its extra provides
OPTIONAL = {"nnblocks/onnx": "onnx"}

collect_ignore_glob: list[str] = []


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
    for folder, module in OPTIONAL.items():
        if not _installed(module):
            collect_ignore_glob.append(f"{folder}/*")
