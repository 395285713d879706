"""Plain-text, Markdown and HTML tables (hyperpilot._tables): known outputs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hyperpilot._tables import html_table, markdown_table, text_table

NAN = math.nan


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3g}"
    return str(value)


HEADERS = ["trial", "loss", "name", "flag"]
ROWS: list[list[Any]] = [
    [1, 0.5, "alpha", True],
    [12, NAN, "b<&>'\"", False],
    [3, None, "", None],
]


def test_text_table_aligns_numeric_columns_right() -> None:
    # a NaN or None shown as "-" still counts as a number; bools do too (they are ints)
    assert text_table(HEADERS, ROWS, cell=cell) == "\n".join([
        "trial  loss  name     flag",
        "-----  ----  ------  -----",
        "    1   0.5  alpha    True",
        "   12     -  b<&>'\"  False",
        "    3     -              -",
    ])


def test_text_table_keeps_no_trailing_spaces_and_uses_the_formatter() -> None:
    text = text_table(["name", "x"], [["a long name", "s"], ["b", 2.0]], cell=repr)
    assert text == "\n".join([
        "name           x",
        "-------------  ---",
        "'a long name'  's'",
        "'b'            2.0",
    ])


def test_text_table_without_rows() -> None:
    assert text_table(["a", "bb"], [], cell=cell) == "a  bb\n-  --"


def test_markdown_table() -> None:
    assert markdown_table(HEADERS, ROWS, cell=cell) == "\n".join([
        "| trial | loss | name | flag |",
        "| ---: | ---: | --- | ---: |",
        "| 1 | 0.5 | alpha | True |",
        "| 12 | - | b<&>'\" | False |",
        "| 3 | - |  | - |",
    ])


def test_html_table_escapes_and_marks_numbers() -> None:
    # bools and None are not numbers here; NaN is
    assert html_table(["a&b", "loss", "name", "flag"], ROWS[:2], cell=cell) == (
        "<table><thead><tr><th>a&amp;b</th><th>loss</th><th>name</th><th>flag</th></tr>"
        "</thead><tbody>"
        '<tr><td class="n">1</td><td class="n">0.5</td><td>alpha</td><td>True</td></tr>'
        '<tr><td class="n">12</td><td class="n">-</td>'
        "<td>b&lt;&amp;&gt;&#x27;&quot;</td><td>False</td></tr>"
        "</tbody></table>")


def test_html_table_quotes_can_stay() -> None:
    out = html_table(["q'"], [["it's \"x\" & y"]], cell=str, escape_quotes=False)
    assert out == ("<table><thead><tr><th>q'</th></tr></thead><tbody>"
                   "<tr><td>it's \"x\" &amp; y</td></tr></tbody></table>")


def test_html_table_extra_classes_per_cell() -> None:
    def lowest(row: Sequence[Any], j: int) -> str:
        return "best" if j > 0 and row[j] == min(row[1:]) else ""

    out = html_table(["p", "a", "b"], [["x", 2.0, 1.0], ["y", 3, 3]], cell=cell,
                     cell_class=lowest)
    assert out == ("<table><thead><tr><th>p</th><th>a</th><th>b</th></tr></thead><tbody>"
                   '<tr><td>x</td><td class="n">2</td><td class="n best">1</td></tr>'
                   '<tr><td>y</td><td class="n best">3</td><td class="n best">3</td></tr>'
                   "</tbody></table>")
    # a class on a cell that is not a number comes alone
    out = html_table(["p"], [["x"]], cell=str, cell_class=lambda row, j: "key")
    assert out == ("<table><thead><tr><th>p</th></tr></thead><tbody>"
                   '<tr><td class="key">x</td></tr></tbody></table>')


def test_html_table_caption_and_row_limit() -> None:
    rows = [[i] for i in range(4)]
    head = "<thead><tr><th>i</th></tr></thead>"
    assert html_table(["i"], rows, cell=str, caption="<first>", max_rows=3) == (
        f"<table><caption>&lt;first&gt;</caption>{head}<tbody>"
        '<tr><td class="n">0</td></tr><tr><td class="n">1</td></tr>'
        '<tr><td class="n">2</td></tr></tbody></table>'
        '<p class="more">\u2026 and 1 more row</p>')
    assert html_table(["i"], rows, cell=str, max_rows=0) == (
        f"<table>{head}<tbody></tbody></table><p class=\"more\">\u2026 and 4 more rows</p>")
    assert html_table(["i"], rows, cell=str, max_rows=4).endswith("</table>")
    assert html_table(["i"], [], cell=str) == f"<table>{head}<tbody></tbody></table>"
