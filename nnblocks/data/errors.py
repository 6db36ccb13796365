"""Errors raised while finding, reading or downloading data; each message names the file."""

from __future__ import annotations


class DataFormatError(ValueError):
    """A data file exists but is not in the expected format (truncated, wrong magic, ...)."""


class DatasetNotFoundError(FileNotFoundError):
    """The files of a dataset are not where they were looked for."""


class DownloadError(OSError):
    """A download failed, or its content did not match the expected SHA-256 checksum."""
