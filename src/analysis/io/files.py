"""Reading text files for the loaders: paths, encodings, CSV cells as text indexed by file line,
and required columns."""

from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from analysis.schema import ReportDataError, suggest

__all__ = [
    "read_small_table",
]

#: Delimiters a one-column CSV may have used instead, named for the message.
_OTHER_DELIMITERS = {";": "';'", "\t": "a tab", "|": "'|'"}


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a report file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise ReportDataError(str(path), "empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReportDataError(
            str(path),
            f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start} (line {line}); "
            "re-save the file as UTF-8",
        ) from exc
    return text.rstrip("\r\n\t ") + "\n"


def _read_csv(text: str, source: str, sep: str, first_line: int) -> pd.DataFrame:
    """Read CSV text with every cell as a string, indexed by file line number."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError as exc:
        raise ReportDataError(source, "empty file") from exc
    except pd.errors.ParserError as exc:
        raise ReportDataError(source, f"malformed CSV: {exc}") from exc
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        for delimiter, name in _OTHER_DELIMITERS.items():
            if delimiter in header and delimiter != sep:
                raise ReportDataError(
                    source,
                    f"the header {header!r} looks delimited by {name}, not {sep!r}; "
                    f"pass sep={delimiter!r}",
                )
    frame.index = pd.RangeIndex(first_line + 1, first_line + 1 + len(frame))
    if frame.empty:
        raise ReportDataError(source, "header only: no data rows")
    return frame


def read_small_table(path: Path, columns: Collection[str]) -> pd.DataFrame:
    """A small reference CSV read as text, indexed by file line (the header is line 1), so
    that errors can name the line; a missing column is refused, naming the file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.index = frame.index + 2
    _require_columns(frame, columns, str(path))
    return frame


def _require_columns(frame: pd.DataFrame, required: Collection[str], source: str) -> None:
    """Refuse a reference table that lacks a column, suggesting a near miss."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hint = suggest(missing[0], [c for c in frame.columns if c not in required])
        raise ReportDataError(source, f"missing columns {missing}{hint}", column=missing[0])
