"""Read and write the BIF text format (Cozman's Interchange Format for Bayesian networks).

The dialect read here is the one of the bnlearn repository and most tools::

    network sprinkler { }
    variable Rain {
      type discrete [ 2 ] { true, false };
    }
    probability ( Rain | Cloudy ) {
      (true) 0.8, 0.2;
      (false) 0.2, 0.8;
    }
    probability ( Cloudy ) {
      table 0.5, 0.5;
    }

``//`` and ``/* */`` comments and ``property`` lines are ignored; commas and ``|`` only separate;
names may be double-quoted (JavaBayes style), and such names are written back quoted.
Inside a ``probability`` block an entry is either ``(parent states) p1, p2, ...;`` (one row,
probabilities in the child's state order), ``default p1, p2, ...;`` (every row not listed), or
``table v1, v2, ...;``. For a node with parents ``table`` lists all
``card(child) * prod(card(parents))`` numbers with the *child's* state varying slowest and the
last parent fastest (the JavaBayes/pgmpy convention); it is reshaped to our layout
``(card(parents)..., card(child))``. Floats are written with ``repr`` so a write/read round trip is
exact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnblocks.bayes.errors import BayesNetError, CPTError
from nnblocks.bayes.network import BayesNet

_TOKEN = re.compile(
    r'(?P<skip>\s+|/\*.*?\*/|//[^\n]*|[,|])|"[^"]*"|[{}()\[\];]|[^\s{}()\[\];,|"]+|(?P<bad>")',
    re.DOTALL,
)
_WORD = re.compile(r'^[^\s{}()\[\];,|"]+$')


class BIFError(BayesNetError):
    """A BIF text that does not parse; the message gives the line number."""


@dataclass
class _Probability:
    child: str
    parents: list[str]
    line: int
    rows: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    default: list[float] | None = None
    table: list[float] | None = None


def read_bif(source: str | Path, *, renormalize: bool = False) -> BayesNet:
    """Read a network from a ``.bif`` file path, or from BIF text (if it contains ``{``).

    Args:
        renormalize: divide every CPT row by its sum before validation (some published files
            round their numbers so rows sum to 1 only within 1e-4 or so).
    """
    if isinstance(source, Path):
        return parse_bif(source.read_text(encoding="utf-8"), renormalize=renormalize)
    text = str(source)
    if "{" in text:
        return parse_bif(text, renormalize=renormalize)
    if not text.strip() or "\n" in text or not Path(text).is_file():
        raise BIFError(
            f"read_bif: expected a path to a .bif file or BIF text (with '{{'), got "
            f"{text[:60]!r}{'...' if len(text) > 60 else ''}"
        )
    return parse_bif(Path(text).read_text(encoding="utf-8"), renormalize=renormalize)


def parse_bif(text: str, *, renormalize: bool = False) -> BayesNet:
    """Parse BIF ``text`` into a :class:`BayesNet` (every node needs a probability block)."""
    parser = _Parser(_tokenize(text))
    name, variables, blocks = parser.parse()
    if not variables:
        raise BIFError(
            "parse_bif: the text declares no variable (empty, or cut off before the first "
            "'variable' block)"
        )
    net = BayesNet(name)
    for var, states in variables.items():
        net.add_node(var, states)
    by_child: dict[str, _Probability] = {}
    for block in blocks:
        if block.child in by_child:
            raise BIFError(f"line {block.line}: second probability block for '{block.child}'")
        by_child[block.child] = block
        for parent in block.parents:
            _known(net, parent, block.line)
            net.add_edge(parent, _known(net, block.child, block.line))
    for var in variables:
        if var not in by_child:
            raise BIFError(f"variable '{var}' has no probability block")
        try:
            net.set_cpt(var, _table(net, by_child[var], renormalize))
        except CPTError as exc:
            if "sums to" not in str(exc):
                raise
            # published files (alarm, barley, munin, ...) round their numbers to 1e-7 or so
            raise CPTError(
                f"line {by_child[var].line}: {exc}\nIf the file only rounds its numbers, "
                f"read_bif(..., renormalize=True) divides every row by its sum."
            ) from None
    return net


def to_bif(net: BayesNet) -> str:
    """The network as BIF text (rows listed per parent configuration; roots as ``table``)."""
    net.check_model()
    q = _quote
    lines = [f"network {q(net.name)} {{", "}"]
    for node in net.nodes:
        states = ", ".join(q(s) for s in net.states(node))
        lines += [
            f"variable {q(node)} {{",
            f"  type discrete [ {net.cardinality(node)} ] {{ {states} }};",
            "}",
        ]
    for node in net.nodes:
        cpt = net.cpt(node)
        given = f" | {', '.join(q(p) for p in cpt.parents)}" if cpt.parents else ""
        lines.append(f"probability ( {q(node)}{given} ) {{")
        if not cpt.parents:
            lines.append(f"  table {', '.join(repr(float(p)) for p in cpt.values)};")
        for index in np.ndindex(*cpt.values.shape[:-1]):
            if not cpt.parents:
                break
            config = ", ".join(q(s[i]) for s, i in zip(cpt.parent_states, index, strict=True))
            probs = ", ".join(repr(float(p)) for p in cpt.values[index])
            lines.append(f"  ({config}) {probs};")
        lines.append("}")
    return "\n".join(lines) + "\n"


def write_bif(net: BayesNet, path: str | Path) -> None:
    """Write :func:`to_bif` text to ``path``."""
    Path(path).write_text(to_bif(net), encoding="utf-8")


# ------------------------------------------------------------------------------------- parsing
def _tokenize(text: str) -> list[tuple[str, int]]:
    """Tokens with their line numbers; white space, comments, commas and bars skipped."""
    tokens = []
    line = 1
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if match.group("bad") is not None:
            raise BIFError(f"line {line}: a double quote without its closing quote")
        if match.group("skip") is None:
            tokens.append((token, line))
        line += token.count("\n")
    return tokens


class _Parser:
    """Recursive descent over the token list."""

    def __init__(self, tokens: list[tuple[str, int]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> tuple[str, dict[str, list[str]], list[_Probability]]:
        name = "unknown"
        variables: dict[str, list[str]] = {}
        blocks: list[_Probability] = []
        while self.pos < len(self.tokens):
            keyword, line = self.next("a block keyword")
            if keyword == "network":
                name = self.word("network name")
                self.skip_block()
            elif keyword == "variable":
                var = self.word("variable name")
                if var in variables:
                    raise BIFError(f"line {line}: variable '{var}' declared twice")
                variables[var] = self.variable_body(var)
            elif keyword == "probability":
                blocks.append(self.probability(line))
            else:
                raise BIFError(
                    f"line {line}: expected 'network', 'variable' or 'probability', got {keyword!r}"
                )
        return name, variables, blocks

    def variable_body(self, var: str) -> list[str]:
        self.expect("{")
        states: list[str] | None = None
        while self.peek() != "}":
            keyword, line = self.next(f"'type' or 'property' in variable '{var}'")
            if keyword == "property":
                self.skip_to(";")
            elif keyword == "type":
                kind = self.word("variable type")
                if kind != "discrete":
                    raise BIFError(f"line {line}: variable '{var}' is {kind!r}; only discrete")
                self.expect("[")
                count = self.word("number of states")
                self.expect("]")
                self.expect("{")
                states = []
                while self.peek() != "}":
                    states.append(self.word(f"state name of '{var}'"))
                self.expect("}")
                self.expect(";")
                if not count.isdigit() or int(count) != len(states):
                    raise BIFError(
                        f"line {line}: variable '{var}' declares [{count}] states but lists "
                        f"{len(states)}: {states}"
                    )
            else:
                raise BIFError(f"line {line}: unexpected {keyword!r} in variable '{var}'")
        self.expect("}")
        if states is None:
            raise BIFError(f"variable '{var}' has no 'type discrete [n] {{...}};' line")
        return states

    def probability(self, line: int) -> _Probability:
        self.expect("(")
        names = []
        while self.peek() != ")":
            names.append(self.word("variable name in probability header"))
        self.expect(")")
        if not names:
            raise BIFError(f"line {line}: empty probability header")
        block = _Probability(names[0], names[1:], line)
        self.expect("{")
        while self.peek() != "}":
            token, at = self.next(f"an entry of P({block.child} | ...)")
            if token == "property":
                self.skip_to(";")
            elif token == "table":
                block.table = self.numbers(block.child)
            elif token == "default":
                block.default = self.numbers(block.child)
            elif token == "(":
                config = []
                while self.peek() != ")":
                    config.append(self.word("parent state"))
                self.expect(")")
                if tuple(config) in block.rows:
                    raise BIFError(f"line {at}: row {tuple(config)} of '{block.child}' repeated")
                block.rows[tuple(config)] = self.numbers(block.child)
            else:
                raise BIFError(f"line {at}: unexpected {token!r} in probability of {block.child}")
        self.expect("}")
        return block

    def numbers(self, child: str) -> list[float]:
        values = []
        while self.peek() != ";":
            token, line = self.next("a probability")
            try:
                value = float(token)
            except ValueError:
                raise BIFError(
                    f"line {line}: expected a number in the probability of '{child}', got {token!r}"
                ) from None
            if not math.isfinite(value):
                raise BIFError(
                    f"line {line}: expected a finite number in the probability of '{child}', "
                    f"got {token!r}"
                )
            values.append(value)
        self.expect(";")
        return values

    # token helpers
    def peek(self) -> str | None:
        if self.pos >= len(self.tokens):
            last = self.tokens[-1][1] if self.tokens else 1
            raise BIFError(f"line {last}: unexpected end of text")
        return self.tokens[self.pos][0]

    def next(self, what: str) -> tuple[str, int]:
        if self.pos >= len(self.tokens):
            last = self.tokens[-1][1] if self.tokens else 1
            raise BIFError(f"line {last}: unexpected end of text, expected {what}")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def word(self, what: str) -> str:
        """A bare word, or a double-quoted name (JavaBayes style) without its quotes."""
        token, line = self.next(what)
        if len(token) >= 2 and token[0] == token[-1] == '"':
            return token[1:-1]
        if not _WORD.match(token):
            raise BIFError(f"line {line}: expected {what}, got {token!r}")
        return token

    def expect(self, symbol: str) -> None:
        token, line = self.next(repr(symbol))
        if token != symbol:
            raise BIFError(f"line {line}: expected {symbol!r}, got {token!r}")

    def skip_to(self, symbol: str) -> None:
        while self.next(repr(symbol))[0] != symbol:
            pass

    def skip_block(self) -> None:
        self.expect("{")
        depth = 1
        while depth:
            token = self.next("'}'")[0]
            depth += {"{": 1, "}": -1}.get(token, 0)


def _quote(word: str) -> str:
    """``word`` as is when it is a bare BIF word, else in double quotes."""
    if _WORD.match(word):
        return word
    if '"' in word:
        raise BIFError(f"{word!r} cannot be written in BIF: it contains a double quote")
    return f'"{word}"'


def _known(net: BayesNet, var: str, line: int) -> str:
    if var not in net:
        raise BIFError(f"line {line}: probability block mentions undeclared variable '{var}'")
    return var


def _table(net: BayesNet, block: _Probability, renormalize: bool) -> np.ndarray:
    """The block's numbers in our layout ``(card(parents)..., card(child))``."""
    child, parents = block.child, net.parents(block.child)
    shape = (*(net.cardinality(p) for p in parents), net.cardinality(child))
    card = shape[-1]
    if block.table is not None:
        if block.rows or block.default is not None:
            raise BIFError(f"line {block.line}: P({child} | ...) mixes 'table' with rows")
        if len(block.table) != int(np.prod(shape)):
            raise BIFError(
                f"line {block.line}: 'table' of '{child}' has {len(block.table)} numbers, "
                f"expected {int(np.prod(shape))} = card({child}) x parent configurations"
            )
        values = np.moveaxis(np.asarray(block.table).reshape(card, *shape[:-1]), 0, -1)
    else:
        values = np.full(shape, np.nan)
        if block.default is not None:
            values[...] = _row(block.default, card, child, block.line, "default")
        for config, row in block.rows.items():
            if len(config) != len(parents):
                raise BIFError(
                    f"line {block.line}: row {config} of '{child}' names {len(config)} parent "
                    f"states; parents are {parents}"
                )
            index = tuple(net.state_index(p, s) for p, s in zip(parents, config, strict=True))
            values[index] = _row(row, card, child, block.line, str(config))
        holes = np.argwhere(np.isnan(values[..., 0]))
        if len(holes):
            config = tuple(net.states(p)[i] for p, i in zip(parents, holes[0], strict=True))
            raise BIFError(
                f"line {block.line}: P({child} | {', '.join(parents)}) has no row for {config} "
                f"({len(holes)} configuration(s) missing) and no 'default' entry"
            )
    if renormalize:
        sums = values.sum(axis=-1, keepdims=True)
        values = values / np.where(sums > 0, sums, 1.0)
    return values


def _row(row: list[float], card: int, child: str, line: int, where: str) -> np.ndarray:
    if len(row) != card:
        raise BIFError(
            f"line {line}: {where} of '{child}' has {len(row)} probabilities, expected {card}"
        )
    return np.asarray(row)
