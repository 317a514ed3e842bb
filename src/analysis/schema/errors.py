"""The error for input that breaks the report-frame contract, and the words that name its
first offending rows."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

#: How many offending rows an error message shows.
MAX_SHOWN = 5


class ReportDataError(ValueError):
    """Input that does not meet the report-frame contract.

    Parameters
    ----------
    source : str
        Where the data came from: a file path, or ``"<DataFrame>"``.
    problem : str
        What is wrong, in words.
    column : str, optional
        The offending column, where one applies.
    rows : sequence of str, optional
        Descriptions of the first offending rows (``"line 7: region='XXX'"``).
    n_rows : int, optional
        How many rows are affected in all (defaults to ``len(rows)``).

    Examples
    --------
    >>> err = ReportDataError("a.csv", "negative counts", column="reports", rows=["line 3: -1"])
    >>> print(err)
    a.csv: column 'reports': negative counts (1 row; first: line 3: -1)
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        column: str | None = None,
        rows: Sequence[str] = (),
        n_rows: int | None = None,
    ) -> None:
        self.source = source
        self.problem = problem
        self.column = column
        self.rows = list(rows)
        self.n_rows = len(self.rows) if n_rows is None else n_rows
        where = f"column {column!r}: " if column is not None else ""
        message = f"{source}: {where}{problem}"
        if self.rows:
            plural = "row" if self.n_rows == 1 else "rows"
            message += f" ({self.n_rows} {plural}; first: {'; '.join(self.rows)})"
        super().__init__(message)


def _describe_rows(
    df: pd.DataFrame, mask: np.ndarray | pd.Series, columns: Iterable[str], row_name: str
) -> tuple[list[str], int]:
    """Describe the first rows selected by ``mask`` as ``"<row_name> <label>: col=value"``."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    shown = df.loc[mask].head(MAX_SHOWN)
    cols = [c for c in columns if c in df.columns]
    out = []
    for label, row in shown.iterrows():
        values = ", ".join(f"{c}={_show(row[c])}" for c in cols)
        out.append(f"{row_name} {label}: {values}")
    return out, n


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<missing>"
    return str(value)


def raise_rows(
    source: str,
    problem: str,
    df: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    *,
    column: str,
    show: Iterable[str],
    row_name: str,
) -> None:
    """Raise :class:`ReportDataError` describing the first rows of ``df`` selected by ``mask``.

    Rows are described as ``"<row_name> <index label>: col=value, ..."`` for the ``show``
    columns, so a frame indexed by file line number gives ``"line 7: ..."``.
    """
    rows, n = _describe_rows(df, mask, show, row_name)
    raise ReportDataError(source, problem, column=column, rows=rows, n_rows=n)


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    lowered = {str(c).strip().lower(): str(c) for c in choices}
    match = difflib.get_close_matches(name.strip().lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""
