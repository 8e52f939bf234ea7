"""Building blocks for mlkit's self-contained HTML reports.

Shared by the evaluation report (``mlkit evaluate --report``) and the data
audit (``mlkit.insights``): one page skeleton, escaped tables and matplotlib
figures embedded as base64 PNG data URIs, so that a report is one file with no
external resources (it renders offline and passes a strict browser check).
"""

import base64
import html
import io
from numbers import Integral, Real

from ._optional import import_optional

__all__ = ["esc", "figure_to_img", "html_table", "new_figure", "render_page", "section"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1d1d1f;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
img.plot{max-width:100%;height:auto;display:block;margin:.6rem 0}
.text{max-width:560px;white-space:pre-wrap;word-break:break-word}
.note{color:#555;font-size:.88rem}
"""


def esc(value):
    """HTML-escape any value (``str(value)`` first)."""
    return html.escape(str(value), quote=True)


def _cell(value, float_format):
    if isinstance(value, bool):
        return f"<td>{esc(value)}</td>"
    if isinstance(value, Integral):
        return f'<td class="num">{int(value)}</td>'
    if isinstance(value, Real):
        return f'<td class="num">{float_format.format(float(value))}</td>'
    return f'<td class="text">{esc(value)}</td>'


def html_table(rows, columns, *, float_format="{:.3f}", caption=None):
    """An escaped HTML table.

    Parameters
    ----------
    rows : iterable of sequences
        One sequence of cell values per row, in the order of ``columns``.
        Numbers are right-aligned; floats are formatted with ``float_format``.
    columns : sequence of str
        Column headers.
    float_format : str, default="{:.3f}"
    caption : str, default=None

    Returns
    -------
    html : str
    """
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, float_format) for v in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def new_figure(width=7.0, height=4.0):
    """A matplotlib figure drawn with the non-interactive Agg backend.

    Uses the object-oriented API (no pyplot state), so reports can be built
    from threads and servers.

    Returns
    -------
    fig, ax : matplotlib Figure and Axes
    """
    figure_mod = import_optional("matplotlib.figure", purpose="HTML reports with plots")
    import_optional("matplotlib.backends.backend_agg", purpose="HTML reports with plots")
    fig = figure_mod.Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    return fig, ax


def figure_to_img(fig, *, alt):
    """Render a matplotlib figure to an ``<img>`` tag holding a base64 PNG.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        Alternative text (also used by tests to find the plot).

    Returns
    -------
    html : str
    """
    backend = import_optional("matplotlib.backends.backend_agg",
                              purpose="HTML reports with plots")
    backend.FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="plot" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def section(title, *parts, section_id=None):
    """An ``<section>`` with a heading and already-rendered HTML parts."""
    sid = f' id="{esc(section_id)}"' if section_id else ""
    return f"<section{sid}><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def render_page(title, sections, *, meta=None):
    """A complete, self-contained HTML document.

    Parameters
    ----------
    title : str
    sections : iterable of str
        Rendered sections (see :func:`section`).
    meta : str, default=None
        A line of metadata under the title (already plain text; it is escaped).

    Returns
    -------
    html : str
    """
    meta_html = f'<p class="meta">{esc(meta)}</p>' if meta else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{meta_html}{''.join(sections)}</body></html>\n"
    )
