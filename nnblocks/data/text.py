"""A character-level text corpus: vocabulary, encoding, and (input, next-character) windows.

The default text is English prose that ships with every Python installation: the help topics of
``pydoc`` (``pydoc_data.topics``), about 460,000 characters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.data.errors import DatasetNotFoundError


def default_text() -> str:
    """The pydoc help topics of this Python, joined in a fixed (sorted) order."""
    try:
        from pydoc_data.topics import topics
    except ImportError:                                 # some distributions split pydoc_data off
        raise DatasetNotFoundError(
            "text: this Python has no pydoc_data.topics; give a text file instead"
        ) from None
    return "\n\n".join(topics[key] for key in sorted(topics))


class CharCorpus:
    """A text and its character vocabulary (sorted, so the ids do not depend on the order).

    >>> corpus = CharCorpus("hello")
    >>> corpus.vocab, corpus.encode("hell").tolist(), corpus.decode([3, 2])
    ('ehlo', [1, 0, 2, 2], 'ol')
    >>> x, y = corpus.sequences(2)
    >>> corpus.decode(x[0]), corpus.decode(y[0])
    ('he', 'el')
    """

    def __init__(self, text: str, vocab: str | None = None) -> None:
        if not text:
            raise ValueError("CharCorpus: the text is empty")
        self.text = text
        self.vocab = vocab if vocab is not None else "".join(sorted(set(text)))
        self.index = {c: i for i, c in enumerate(self.vocab)}
        self.ids = self.encode(text)

    @classmethod
    def from_file(cls, path: str | os.PathLike, encoding: str = "utf-8") -> CharCorpus:
        path = Path(path).expanduser()
        if not path.is_file():
            raise DatasetNotFoundError(f"text: file {path} not found")
        try:
            return cls(path.read_text(encoding=encoding))
        except UnicodeDecodeError as e:
            raise ValueError(f"text: {path} is not {encoding} text ({e})") from None

    @classmethod
    def default(cls, max_chars: int | None = None) -> CharCorpus:
        text = default_text()
        return cls(text[:max_chars] if max_chars else text)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Character ids ``(len(text),)`` int64; characters outside the vocabulary are an error."""
        missing = sorted({c for c in text if c not in self.index})
        if missing:
            raise ValueError(f"CharCorpus.encode: characters not in the vocabulary: {missing!r}")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Any) -> str:
        return "".join(self.vocab[int(i)] for i in np.asarray(ids).ravel())

    def sequences(self, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Non-overlapping windows: inputs ``(N, T)`` and targets ``(N, T)`` shifted by one."""
        n = (len(self.ids) - 1) // seq_len
        if n < 1:
            raise ValueError(
                f"CharCorpus.sequences: text of {len(self.ids)} characters is too short "
                f"for windows of {seq_len}"
            )
        x = self.ids[: n * seq_len].reshape(n, seq_len)                 # (N, T)
        y = self.ids[1: n * seq_len + 1].reshape(n, seq_len)            # (N, T)
        return x, y
