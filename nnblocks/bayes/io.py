"""Save and load networks as JSON (and BIF, by file suffix). No pickle anywhere.

JSON layout (``format`` identifies the schema; CPTs use the array layout
``(card(parents)..., card(node))`` as nested lists, parents in the listed order)::

    {"format": "nnblocks.bayes", "version": 1, "name": "sprinkler",
     "nodes": [{"name": "Cloudy", "states": ["true", "false"], "parents": [],
                "cpt": [0.5, 0.5]}, ...]}

Floats are written by :mod:`json` with ``repr``, so a save/load round trip is exact. A node
without a CPT is stored with ``"cpt": null``.
"""

from __future__ import annotations

import json
from pathlib import Path

from nnblocks.bayes.bif import read_bif, write_bif
from nnblocks.bayes.errors import BayesNetError
from nnblocks.bayes.network import BayesNet

FORMAT = "nnblocks.bayes"
VERSION = 1


def to_dict(net: BayesNet) -> dict:
    """A JSON-ready dict of the network (see the module docstring for the layout)."""
    nodes = []
    for node in net.nodes:
        nodes.append(
            {
                "name": node,
                "states": list(net.states(node)),
                "parents": list(net.parents(node)),
                "cpt": net.cpt(node).values.tolist() if net.has_cpt(node) else None,
            }
        )
    return {"format": FORMAT, "version": VERSION, "name": net.name, "nodes": nodes}


def from_dict(spec: dict) -> BayesNet:
    """Rebuild a network from :func:`to_dict` output (validating structure and every CPT)."""
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        found = spec.get("format") if isinstance(spec, dict) else type(spec).__name__
        raise BayesNetError(f"not an {FORMAT} document (format field is {found!r})")
    if spec.get("version") != VERSION:
        raise BayesNetError(
            f"{FORMAT} version {spec.get('version')!r} is not supported (expected {VERSION})"
        )
    net = BayesNet(spec.get("name", "bayesnet"))
    entries = spec.get("nodes")
    if not isinstance(entries, list):
        raise BayesNetError(f"{FORMAT} document needs a 'nodes' list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BayesNetError(f"node entry {i} must be an object, got {type(entry).__name__}")
        missing = [k for k in ("name", "states", "parents", "cpt") if k not in entry]
        if missing:
            raise BayesNetError(f"node entry {i} ({entry.get('name')!r}) lacks keys {missing}")
        net.add_node(entry["name"], entry["states"])
    for entry in entries:
        for parent in entry["parents"]:
            net.add_edge(parent, entry["name"])
    for entry in entries:
        if entry["cpt"] is not None:
            net.set_cpt(entry["name"], entry["cpt"])
    return net


def to_json(net: BayesNet, indent: int | None = 1) -> str:
    """The network as a JSON string."""
    return json.dumps(to_dict(net), indent=indent)


def from_json(text: str) -> BayesNet:
    """Parse a network from a JSON string written by :func:`to_json`."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BayesNetError(f"invalid JSON for a Bayesian network: {exc}") from None
    return from_dict(spec)


def save(net: BayesNet, path: str | Path) -> Path:
    """Write ``net`` to ``path``: ``.json`` as JSON, ``.bif`` as BIF. Returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(to_json(net), encoding="utf-8")
    elif suffix == ".bif":
        write_bif(net, path)
    else:
        raise BayesNetError(f"save: unknown suffix {path.suffix!r} of {path}; use .json or .bif")
    return path


def load(path: str | Path) -> BayesNet:
    """Read a network from a ``.json`` or ``.bif`` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return from_json(path.read_text(encoding="utf-8"))
    if suffix == ".bif":
        return read_bif(path)
    raise BayesNetError(f"load: unknown suffix {path.suffix!r} of {path}; use .json or .bif")
