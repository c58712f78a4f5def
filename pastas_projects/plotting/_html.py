"""The HTML of the report: one page, its style inline, no script, nothing fetched.

Small helpers that turn values into escaped HTML; :mod:`.report` decides what goes
on the page.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
:root {
  --ink: #1d2b36; --muted: #5b6b78; --line: #e3e8ec; --bg: #f4f6f8; --card: #ffffff;
  --teal: #1f6f8b; --teal-dark: #123f55; --pass: #2e9e5b; --fail: #d1483b; --warn: #c77d1a;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
header { background: linear-gradient(120deg, var(--teal-dark), var(--teal) 70%, #3a9bb5);
  color: #fff; padding: 34px 0 78px; }
header h1 { margin: 0 0 4px; font-size: 30px; font-weight: 650; letter-spacing: -0.01em; }
header p { margin: 0; opacity: 0.85; font-size: 14px; }
header .verdict { margin-top: 14px; font-size: 18px; opacity: 1; }
.wrap { max-width: 1220px; margin: 0 auto; padding: 0 28px; }
main { margin-top: -56px; padding-bottom: 40px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 14px; }
.card { background: var(--card); border-radius: 12px; padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(16, 40, 56, 0.08), 0 6px 18px rgba(16, 40, 56, 0.06); }
.card .n { font-size: 30px; font-weight: 680; line-height: 1.1; }
.card .what { color: var(--muted); font-size: 13px; text-transform: uppercase;
  letter-spacing: 0.04em; }
.card .sub { color: var(--muted); font-size: 13px; }
.card.good .n { color: var(--pass); } .card.bad .n { color: var(--fail); }
.card.warn .n { color: var(--warn); }
section { background: var(--card); border-radius: 12px; margin-top: 22px; padding: 22px 26px;
  box-shadow: 0 1px 2px rgba(16, 40, 56, 0.08), 0 6px 18px rgba(16, 40, 56, 0.06); }
section h2 { margin: 0 0 4px; font-size: 20px; }
section > p.lead { margin: 0 0 16px; color: var(--muted); }
.grid2 { display: grid; grid-template-columns: 1.1fr 1fr; gap: 22px; align-items: start; }
.grid2 > div > img, figure img { width: 100%; height: auto; display: block; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
img { max-width: 100%; height: auto; border-radius: 6px; }
.bars { display: grid; grid-template-columns: minmax(180px, 280px) 1fr 110px; gap: 8px 14px;
  align-items: center; }
.bars .label { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 13px; overflow-wrap: anywhere; }
.bars .track { background: #fbe3e0; border-radius: 6px; height: 16px; overflow: hidden; }
.bars .fill { background: var(--pass); height: 100%; }
.bars .value { font-variant-numeric: tabular-nums; font-size: 13px; color: var(--muted); }
.bars .total .label { font-weight: 700; font-family: inherit; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.04em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.err { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  color: #7a2018; overflow-wrap: anywhere; }
tr:hover td { background: #f8fafb; }
.chip { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px;
  font-weight: 600; margin: 1px 3px 1px 0; }
.chip.pass { background: #e1f3e8; color: #1f6e40; }
.chip.fail { background: #fbe3e0; color: #9c2a20; }
.chip.none { background: #eceff1; color: #5b6b78; }
.models { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
.model { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.model h3 { margin: 0 0 2px; font-size: 16px; }
.model .meta { color: var(--muted); font-size: 13px; margin-bottom: 8px; }
.notes { background: #fff8ec; border: 1px solid #f1dcb5; border-radius: 10px; padding: 10px 16px;
  color: #6b4a12; font-size: 14px; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 13px; padding: 10px 0 40px; }
details summary { cursor: pointer; color: var(--teal); }
"""


def esc(value: Any) -> str:
    """Escaped text of a value."""
    return html.escape("" if value is None else str(value), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """A number for a table cell: 3 significant digits, ``–`` for missing."""
    if value is None:
        return "–"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if value != value:  # NaN
        return "–"
    return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"


def image(png: bytes, alt: str) -> str:
    """An inline PNG."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'


def chip(text: str, kind: str) -> str:
    """A small coloured label (kind ``pass``, ``fail`` or ``none``)."""
    return f'<span class="chip {kind}">{esc(text)}</span>'


def card(number_text: str, what: str, sub: str = "", kind: str = "") -> str:
    """A count at the top of the page."""
    return (
        f'<div class="card {kind}"><div class="what">{esc(what)}</div>'
        f'<div class="n">{esc(number_text)}</div><div class="sub">{sub}</div></div>'
    )


def section(title: str, lead: str, body: str, anchor: str) -> str:
    """A white panel with a heading."""
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{lead_html}{body}</section>'


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Iterable[int] = (),
    classes: dict[int, str] | None = None,
) -> str:
    """A table of cells that are HTML already (escape text with :func:`esc`).

    ``numeric`` columns are right-aligned; ``classes`` gives columns a CSS class.
    """
    classes = dict(classes or {}) | dict.fromkeys(numeric, "num")
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = f' class="{classes[i]}"' if i in classes else ""
            cells.append(f"<td{cls}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return '<p class="empty">none</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bars(rates: Sequence[tuple[str, int, int]], total: tuple[int, int] | None) -> str:
    """Pass rate per check as horizontal bars: ``(label, passed, checked)``."""
    rows = []
    items = list(rates) + ([("all checks (pass)", *total)] if total else [])
    for i, (name, passed, checked) in enumerate(items):
        share = passed / checked if checked else 0.0
        cls = " total" if total and i == len(items) - 1 else ""
        rows.append(
            f'<div class="label{cls}">{esc(name)}</div>'
            f'<div class="track{cls}">'
            f'<div class="fill" style="width:{100 * share:.1f}%"></div></div>'
            f'<div class="value{cls}">{100 * share:.0f}% · {passed}/{checked}</div>'
        )
    if not rows:
        return (
            '<p class="empty">no model has stored checks yet: '
            "they are stored when a model is solved</p>"
        )
    return f'<div class="bars">{"".join(rows)}</div>'


def page(title: str, subtitle: str, verdict: str, body: str, footer: str) -> str:
    """The whole page."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{esc(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><div class="wrap"><h1>{esc(title)}</h1><p>{subtitle}</p>
<p class="verdict">{verdict}</p></div></header>
<main><div class="wrap">
{body}
</div></main>
<footer><div class="wrap">{footer}</div></footer>
</body>
</html>
"""
