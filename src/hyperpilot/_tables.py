"""Tables as plain text, Markdown and HTML: the one home of each.

Every function takes the column headers, rows of *raw* values and a ``cell`` function that
turns one raw value into its text, so each caller keeps its own formatting of numbers
(significant digits, the mark for a missing value). Whether a value is a number is decided
on the raw value, never on its text, so a number formatted as ``-`` still aligns right.

* :func:`text_table`: columns separated by two spaces under a rule of dashes, for the
  terminal;
* :func:`markdown_table`: a GitHub-flavoured Markdown table;
* :func:`html_table`: a ``<table>`` with escaped text, class ``n`` on number cells, extra
  classes per cell from a hook, an optional caption and an optional row limit.

This module needs the standard library only and imports nothing of hyperpilot, so every
layer may use it: the CLI, the benchmark report and the analysis report.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

Cell = Callable[[Any], str]
"""Turns one raw value into the text of its cell."""

CellClass = Callable[[Sequence[Any], int], str]
"""Given a row of raw values and a column index, extra HTML classes for that cell ("" for
none)."""


def _is_number(value: Any) -> bool:
    """Whether *value* is an ``int`` or a ``float`` (NaN included), and not a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_columns(width: int, rows: Sequence[Sequence[Any]]) -> list[bool]:
    """Per column of *width* columns: whether every raw value is an int, float or ``None``.

    Bools count as numbers here (they are ints), and a table without rows has only
    numeric columns.
    """
    return [all(isinstance(row[j], (int, float)) or row[j] is None for row in rows)
            for j in range(width)]


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cell: Cell) -> str:
    """A plain-text table: the headers, a rule of dashes, then one line per row.

    Columns are as wide as their widest text and separated by two spaces. A column whose
    raw values are all ints, floats (bools included) or ``None`` aligns right, the others
    left (a table without rows aligns every header right). Lines carry no trailing spaces.
    """
    texts = [[cell(value) for value in row] for row in rows]
    numeric = _numeric_columns(len(headers), rows)
    widths = [max([len(h)] + [len(row[j]) for row in texts]) for j, h in enumerate(headers)]

    def line(items: Sequence[str]) -> str:
        return "  ".join(item.rjust(w) if num else item.ljust(w)
                         for item, w, num in zip(items, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]),
                      *(line(row) for row in texts)])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
                   cell: Cell) -> str:
    """A Markdown (GitHub) table; numeric columns align right, as in :func:`text_table`.

    Texts are written as they are: a ``|`` in a cell is not escaped.
    """
    numeric = _numeric_columns(len(headers), rows)
    rule = ["---:" if num else "---" for num in numeric]
    return "\n".join("| " + " | ".join(items) + " |" for items in (
        list(headers), rule, *([cell(value) for value in row] for row in rows)))


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cell: Cell,
               cell_class: CellClass | None = None, caption: str = "",
               max_rows: int | None = None, escape_quotes: bool = True) -> str:
    """An HTML ``<table>`` with a ``<thead>`` of the headers and a ``<tbody>`` of the rows.

    Headers, texts and the caption are HTML-escaped; quotes too unless *escape_quotes* is
    false. A cell whose raw value is a number (an int or float, not a bool) gets the class ``n``,
    followed by what *cell_class* returns for it. With *max_rows*, only the first rows
    are shown (as ``rows[:max_rows]``) and a ``<p class="more">`` after the table counts
    the others.
    """
    def escape(text: str) -> str:
        return html.escape(text, quote=escape_quotes)

    shown = rows if max_rows is None else rows[:max_rows]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in shown:
        cells = []
        for j, value in enumerate(row):
            classes = " ".join(c for c in ("n" if _is_number(value) else "",
                                           cell_class(row, j) if cell_class else "") if c)
            attribute = f' class="{classes}"' if classes else ""
            cells.append(f"<td{attribute}>{escape(cell(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    out = f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    rest = len(rows) - len(shown)
    if rest > 0:
        out += f'<p class="more">\u2026 and {rest} more row{"s" if rest != 1 else ""}</p>'
    return out
