"""Building blocks for mlkit's self-contained HTML reports.

Shared by the evaluation report (``mlkit evaluate --report``) and the data
audit (``mlkit.insights``): one page skeleton, escaped tables, matplotlib
figures embedded as base64 PNG data URIs and an SVG scatter map, so that a
report is one file with no external resources (it renders offline and passes
a strict browser check).

Every page carries one inline script (:data:`_JS`, vanilla JavaScript, no
external resource): it makes the tables sortable and searchable, adds the
filters that :func:`html_table` declares, and gives the map its tooltips and
colourings. It only reads the page: data travel as inert JSON elements and
are written with ``textContent``, never parsed as HTML. With JavaScript off
the page reads as a static document (every row shown, the map in its first
colouring).
"""

import base64
import html
import io
import json
from numbers import Integral, Real

import numpy as np

from ._optional import import_optional

__all__ = ["ROW_NOTE", "esc", "figure_to_img", "html_map", "html_table", "json_script",
           "new_figure", "render_page", "section"]

#: how every report states its row numbers (one convention across mlkit)
ROW_NOTE = "row = 0-based position in the input data (header not counted)"

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
th.mk-sort{cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
.mk-ctl{display:flex;flex-wrap:wrap;gap:.4rem .9rem;align-items:center;margin:.6rem 0 .2rem;
font-size:.85rem}.mk-ctl input[type=number]{width:5.5em}.mk-count{color:#555}
.mk-map{position:relative;max-width:100%}.mk-map svg{max-width:100%;height:auto;
border:1px solid #ddd;background:#fff}.mk-legend{font-size:.8rem;color:#333;margin:.2rem 0}
.mk-legend span.sw{display:inline-block;width:.8em;height:.8em;margin:0 .25em 0 .7em;
vertical-align:middle;border-radius:50%}
.mk-tip{position:absolute;pointer-events:none;background:#1d1d1f;color:#fff;padding:.35rem .5rem;
border-radius:4px;font-size:.78rem;max-width:340px;white-space:pre-line;z-index:2}
"""

#: the scale of continuous colourings (value 0, 0.5, 1), shared with the script
_SCALE = ((44, 123, 182), (253, 174, 97), (215, 25, 28))
#: category colours; categories past the tenth are grey (same list in the script)
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f")
_OTHER = "#c8c8c8"

_JS = r"""(function(){"use strict";
var PAL=@PALETTE@,OTHER="@OTHER@",SCALE=@SCALE@,MIN_ROWS=6;
function mk(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs)
e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e;}
var NUM=/^[-+]?(\d[\d,]*)?\.?\d+(e[-+]?\d+)?%?$/i;
function num(s){s=String(s).trim();return NUM.test(s)?parseFloat(s.replace(/,/g,"")):null;}
function cellText(r,j){var c=r.cells[j];return c?c.textContent:"";}
function items(r,j,kind){var t=cellText(r,j).trim();
if(kind==="list")return t?t.split(", "):[];return[t];}
function scale(v){v=Math.max(0,Math.min(1,v));var i=v<0.5?0:1,f=(v-0.5*i)*2,a=SCALE[i],
b=SCALE[i+1],c=[0,1,2].map(function(k){return Math.round(a[k]+(b[k]-a[k])*f);});
return"rgb("+c.join(",")+")";}
function table(t){var head=t.tHead,body=t.tBodies[0];if(!head||!body||!head.rows.length)return;
var ths=Array.prototype.slice.call(head.rows[0].cells),rows=Array.prototype.slice.call(body.rows);
ths.forEach(function(th,j){th.classList.add("mk-sort");th.tabIndex=0;th.title="Sort";
function go(){var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
ths.forEach(function(o){o.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",dir===1?"ascending":"descending");
var vals=rows.map(function(r){return cellText(r,j);}),
isnum=vals.every(function(v){v=v.trim();return v===""||v==="—"||num(v)!==null;}),
idx=rows.map(function(r,i){return i;});
idx.sort(function(a,b){var x=vals[a],y=vals[b],c;if(isnum){x=num(x);y=num(y);
if(x===null||y===null)return x===y?a-b:(x===null?1:-1);c=x-y;}else c=x.localeCompare(y);
return c*dir||a-b;});var f=document.createDocumentFragment();
idx.forEach(function(i){f.appendChild(rows[i]);});body.appendChild(f);}
th.addEventListener("click",go);th.addEventListener("keydown",function(e){
if(e.key==="Enter"||e.key===" "){e.preventDefault();go();}});});
var declared=ths.some(function(th){return th.hasAttribute("data-filter");});
if(rows.length<MIN_ROWS&&!declared)return;
var bar=mk("div",{"class":"mk-ctl"}),tests=[],
q=mk("input",{type:"search",placeholder:"Search…","aria-label":"Search the table"});
bar.appendChild(q);q.addEventListener("input",apply);
ths.forEach(function(th,j){var kind=th.getAttribute("data-filter"),name=th.textContent;
if(!kind)return;var lab=mk("label",{},name+" ");bar.appendChild(lab);
if(kind==="range"){var lo=mk("input",{type:"number",step:"any",placeholder:"min",
"aria-label":name+" at least"}),hi=mk("input",{type:"number",step:"any",placeholder:"max",
"aria-label":name+" at most"});lab.appendChild(lo);lab.appendChild(document.createTextNode(
" – "));lab.appendChild(hi);lo.addEventListener("input",apply);
hi.addEventListener("input",apply);tests.push(function(r){var v=num(cellText(r,j)),
a=lo.value===""?null:parseFloat(lo.value),b=hi.value===""?null:parseFloat(hi.value);
return!((a!==null&&(v===null||v<a))||(b!==null&&(v===null||v>b)));});return;}
var counts={};rows.forEach(function(r){items(r,j,kind).forEach(function(v){
counts[v]=(counts[v]||0)+1;});});var sel=mk("select",{"aria-label":"Filter by "+name});
sel.appendChild(mk("option",{value:""},"all"));Object.keys(counts).sort().forEach(function(v){
sel.appendChild(mk("option",{value:v},v+" ("+counts[v]+")"));});lab.appendChild(sel);
sel.addEventListener("change",apply);tests.push(function(r){
return sel.value===""||items(r,j,kind).indexOf(sel.value)>=0;});});
var count=mk("span",{"class":"mk-count","aria-live":"polite"});bar.appendChild(count);
t.parentNode.insertBefore(bar,t);
function apply(){var s=q.value.trim().toLowerCase(),n=0;rows.forEach(function(r){
var ok=(!s||r.textContent.toLowerCase().indexOf(s)>=0)&&tests.every(function(f){return f(r);});
r.hidden=!ok;if(ok)n++;});count.textContent=n+" of "+rows.length+" rows shown";}apply();}
function map(box){var data=JSON.parse(box.querySelector("script.mk-map-data").textContent),
pts=box.querySelectorAll("circle"),legend=box.querySelector(".mk-legend"),
tip=mk("div",{"class":"mk-tip",role:"tooltip"});tip.hidden=true;box.appendChild(tip);
for(var i=0;i<pts.length;i++)pts[i].mkIndex=i;
function describe(i){var t=data.tips[i],cut=t.indexOf("\n"),head=cut<0?t:t.slice(0,cut),
lines=data.modes.map(function(m){var v=m.values[i];return m.name+": "+(m.type==="scale"?
v.toFixed(2):m.type==="sets"?(v.map(function(k){return m.names[k];}).join(", ")||"(none)"):
m.names[v]);});return[head].concat(lines,cut<0?[]:[t.slice(cut+1)]).join("\n");}
var svg=box.querySelector("svg");svg.addEventListener("mouseover",function(e){
var i=e.target.mkIndex;if(i===undefined)return;tip.textContent=describe(i);tip.hidden=false;
var b=box.getBoundingClientRect(),p=e.target.getBoundingClientRect();
tip.style.left=Math.min(p.left-b.left+10,Math.max(0,b.width-340))+"px";
tip.style.top=(p.top-b.top+10)+"px";});
svg.addEventListener("mouseout",function(e){if(e.target.mkIndex!==undefined)tip.hidden=true;});
var bar=mk("div",{"class":"mk-ctl"}),by=mk("select",{"aria-label":"Colour by"}),
which=mk("select",{"aria-label":"Label"});bar.appendChild(mk("label",{},"Colour by "));
bar.lastChild.appendChild(by);bar.appendChild(which);box.insertBefore(bar,box.firstChild);
data.modes.forEach(function(m,k){by.appendChild(mk("option",{value:k},m.name));});
function paint(){var m=data.modes[+by.value],pick=+which.value;which.hidden=m.type!=="sets";
while(legend.firstChild)legend.removeChild(legend.firstChild);
for(var i=0;i<pts.length;i++){var v=m.values[i],c;if(m.type==="scale")c=scale(v);
else if(m.type==="sets")c=v.indexOf(pick)>=0?PAL[3]:OTHER;else c=v<PAL.length?PAL[v]:OTHER;
pts[i].setAttribute("fill",c);}
function sw(c,t){var s=mk("span",{"class":"sw"});s.style.background=c;legend.appendChild(s);
legend.appendChild(document.createTextNode(t));}
if(m.type==="scale"){sw(scale(0),"0");sw(scale(0.5),"0.5");sw(scale(1),"1 ("+m.name+")");}
else if(m.type==="sets"){sw(PAL[3],"has "+m.names[pick]);sw(OTHER,"does not");}
else m.names.forEach(function(n,k){sw(k<PAL.length?PAL[k]:OTHER,n);});}
by.addEventListener("change",function(){var m=data.modes[+by.value];
while(which.firstChild)which.removeChild(which.firstChild);
if(m.type==="sets")m.names.forEach(function(n,k){which.appendChild(mk("option",{value:k},n));});
paint();});which.addEventListener("change",paint);by.value="0";paint();}
document.querySelectorAll("table.mk").forEach(table);
document.querySelectorAll("div.mk-map").forEach(map);})();
""".replace("@PALETTE@", json.dumps(list(_PALETTE))).replace("@OTHER@", _OTHER).replace(
    "@SCALE@", json.dumps([list(c) for c in _SCALE]))



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


_FILTERS = ("select", "list", "range")


def html_table(rows, columns, *, float_format="{:.3f}", caption=None, filters=None):
    """An escaped HTML table (sortable and searchable in the browser).

    Parameters
    ----------
    rows : iterable of sequences
        One sequence of cell values per row, in the order of ``columns``.
        Numbers are right-aligned; floats are formatted with ``float_format``.
    columns : sequence of str
        Column headers.
    float_format : str, default="{:.3f}"
    caption : str, default=None
    filters : dict, default=None
        Filters the page's script adds above the table, by column header:
        ``"select"`` (one value per cell), ``"list"`` (cells list values
        separated by ``", "``; a row matches when it lists the chosen value)
        or ``"range"`` (numeric, min and max). Every table with 6 rows or
        more also gets a text search; every table sorts by a click on a
        header.

    Returns
    -------
    html : str
    """
    filters = dict(filters or {})
    unknown = set(filters) - {str(c) for c in columns}
    if unknown:
        raise ValueError(f"filters names columns {sorted(unknown)} that the table does not "
                         f"have; columns: {list(columns)}.")
    bad = {k: v for k, v in filters.items() if v not in _FILTERS}
    if bad:
        raise ValueError(f"filters values must be one of {_FILTERS}; got {bad}.")

    def th(c):
        kind = filters.get(str(c))
        attr = f' data-filter="{kind}"' if kind else ""
        return f"<th{attr}>{esc(c)}</th>"

    head = "".join(th(c) for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, float_format) for v in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="mk">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table>")


def json_script(payload, *, element_id=None, css_class=None):
    """An inert ``<script type="application/json">`` element holding ``payload``.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so no text in the
    payload can end the element early or open markup in it.

    Parameters
    ----------
    payload : JSON-serialisable object (no NaN)
    element_id, css_class : str, default=None

    Returns
    -------
    html : str
    """
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    # U+2028 / U+2029 end a line in older JavaScript parsers; keep them escaped
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    attrs = (f' id="{esc(element_id)}"' if element_id else "") + (
        f' class="{esc(css_class)}"' if css_class else "")
    return f'<script type="application/json"{attrs}>{text}</script>'


def _scale_colour(v):
    v = min(max(float(v), 0.0), 1.0)
    i = 0 if v < 0.5 else 1
    f = (v - 0.5 * i) * 2
    a, b = _SCALE[i], _SCALE[i + 1]
    return "#{:02x}{:02x}{:02x}".format(*(round(a[k] + (b[k] - a[k]) * f + 1e-9)
                                          for k in range(3)))


def _static_fills(mode):
    if mode["type"] == "scale":
        return [_scale_colour(v) for v in mode["values"]]
    return [_PALETTE[v] if v < len(_PALETTE) else _OTHER for v in mode["values"]]


def _static_legend(mode):
    if mode["type"] == "scale":
        entries = [(_scale_colour(0), "0"), (_scale_colour(0.5), "0.5"),
                   (_scale_colour(1), f"1 ({mode['name']})")]
    else:
        entries = [(_PALETTE[k] if k < len(_PALETTE) else _OTHER, n)
                   for k, n in enumerate(mode["names"])]
    return "".join(f'<span class="sw" style="background:{c}"></span>{esc(t)}'
                   for c, t in entries)


def _check_modes(modes, n):
    if not modes or modes[0].get("type") not in ("scale", "category"):
        raise ValueError("modes must be a non-empty list whose first colouring is of type "
                         "'scale' or 'category' (it colours the static page).")
    for m in modes:
        if m.get("type") not in ("scale", "category", "sets"):
            raise ValueError(f"mode {m.get('name')!r} has type {m.get('type')!r}; expected "
                             "'scale', 'category' or 'sets'.")
        if len(m["values"]) != n:
            raise ValueError(f"mode {m['name']!r} has {len(m['values'])} values for {n} "
                             "points.")


def html_map(xy, tips, modes, *, annotations=(), width=760, height=480, alt="Map"):
    """An SVG scatter map with hover tooltips and a choice of colourings.

    Without JavaScript the points show in the first colouring, with its
    legend; the page's script adds the tooltips and a "Colour by" choice.

    Parameters
    ----------
    xy : array-like of shape (n_points, 2)
    tips : sequence of str, length n_points
        The tooltip of each point (plain text, e.g. ``"row 12\\n<text>"``):
        the script shows its first line, then each colouring's value of the
        point (``"name: value"``), then its other lines.
    modes : list of dict
        Colourings, each ``{"name": str, "type": ..., "values": list}``:
        ``"scale"`` (values in [0, 1]), ``"category"`` (values index
        ``"names"``; past the tenth name they are grey) or ``"sets"`` (each
        value a list of indices into ``"names"``; the reader picks a name and
        the points holding it are highlighted). The first must not be
        ``"sets"``.
    annotations : sequence of (x, y, str), default=()
        Text drawn over the map at data coordinates (e.g. cluster numbers).
    width, height : int, default=760, 480
    alt : str, default="Map"
        The map's accessible name.

    Returns
    -------
    html : str
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    if len(tips) != n:
        raise ValueError(f"tips has {len(tips)} entries for {n} points.")
    _check_modes(modes, n)
    margin = 12.0
    lo, hi = (xy.min(axis=0), xy.max(axis=0)) if n else (np.zeros(2), np.ones(2))
    span = np.where(hi - lo > 0, hi - lo, 1.0)

    def to_px(p):
        return (margin + (p[0] - lo[0]) / span[0] * (width - 2 * margin),
                height - margin - (p[1] - lo[1]) / span[1] * (height - 2 * margin))

    fills = _static_fills(modes[0])
    dots = "".join(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="3" fill="{c}"/>'
                   for (x, y), c in zip(map(to_px, xy), fills, strict=True))
    notes = "".join(
        '<text x="{:.1f}" y="{:.1f}">{}</text>'.format(*to_px((ax, ay)), esc(t))
        for ax, ay, t in annotations)
    svg = (f'<svg viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{esc(alt)}">'
           f'<g fill-opacity="0.75">{dots}</g><g font-size="13" font-weight="bold" '
           f'fill="#000" pointer-events="none" text-anchor="middle">{notes}</g></svg>')
    payload = {"tips": [str(t) for t in tips],
               "modes": [{"name": str(m["name"]), "type": m["type"],
                          "values": [v if isinstance(v, list) else
                                     (round(float(v), 4) if m["type"] == "scale" else int(v))
                                     for v in m["values"]],
                          "names": [str(x) for x in m.get("names", [])]} for m in modes]}
    return (f'<div class="mk-map">{svg}<div class="mk-legend">{_static_legend(modes[0])}</div>'
            f'{json_script(payload, css_class="mk-map-data")}</div>')


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


def render_page(title, sections, *, meta=None, interactive=True):
    """A complete, self-contained HTML document.

    Parameters
    ----------
    title : str
    sections : iterable of str
        Rendered sections (see :func:`section`).
    meta : str, default=None
        A line of metadata under the title (already plain text; it is escaped).
    interactive : bool, default=True
        Add the page's one inline script (sortable, searchable, filterable
        tables; map tooltips and colourings). The page reads the same
        without it, only static.

    Returns
    -------
    html : str
    """
    meta_html = f'<p class="meta">{esc(meta)}</p>' if meta else ""
    script = f"<script>{_JS}</script>" if interactive else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{meta_html}{''.join(sections)}{script}</body></html>\n"
    )
