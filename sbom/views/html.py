"""The lineage as one self-contained, interactive HTML file (works offline, from file://).

Python embeds nodes and edges as JSON in a ``<script type="application/json">`` block, with
``<``, ``>``, ``&`` (and U+2028/2029) written as ``\\uXXXX`` so no card text can close the
block or become markup. The page lays the DAG out itself with dagre (``@dagrejs/dagre``, MIT,
vendored minified in ``sbom/data/dagre.min.js`` and inlined, see ``sbom/data/VENDORED.md``):
rank assignment, crossing reduction and coordinates are dagre's; every edge label is a
dagre node of its measured size, so labels never overlap each other or a box. Text is measured
in the browser, so node names wrap at ``/`` and ``-`` and are shown whole.

Edges are drawn from dagre's bend points with one rule added: inside a rank (the horizontal
band where that rank's boxes sit) an edge runs vertically through its own bend point, and it
only changes column in the empty gap between ranks. dagre keeps a bend point clear of every
box in its rank, so no edge crosses a box.

The page's script (``sbom/data/report.js``) fills the side panel with ``textContent`` only,
never ``innerHTML``: hostile text stays text. Pan (drag), zoom (wheel, buttons), search, click
a node for license, findings, lineage verdicts, datasets, files, signature and an evidence
table per parent. No CDN, no external request; the Content-Security-Policy forbids them.
"""

from __future__ import annotations

import html as _html
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from lineage.graph import LineageGraph, Node
from lineage.text_safety import escape_json_text, printable
from sbom.views.common import (
    LICENSE_FAMILY_COLOURS,
    SIGNATURE_COLOURS,
    SIGNATURE_WORDS,
    UNRESOLVED_FILL,
    edge_label,
    license_family,
    node_record,
    verification_verdicts,
)

REPORT_FORMAT = "mlbom-report/2"
_DATA = Path(__file__).resolve().parents[1] / "data"


@lru_cache(maxsize=1)
def _dagre_js() -> str:
    licence = (_DATA / "dagre.LICENSE").read_text(encoding="utf-8").replace("*/", "* /")
    return f"/*!\n{licence}*/\n" + (_DATA / "dagre.min.js").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _report_js() -> str:
    return (_DATA / "report.js").read_text(encoding="utf-8")


def _printable_strings(data: Any) -> Any:
    """Every string in ``data`` made ``printable``: the page shows them to a person, and a
    bidi override or control character would reach the screen through ``textContent``."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {k: _printable_strings(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_printable_strings(v) for v in data]
    return data


def _json_for_script(data: Any) -> str:
    data = _printable_strings(data)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, code)
    return escape_json_text(text)


def _node_data(graph: LineageGraph, node: Node) -> dict[str, Any]:
    rec = node_record(graph, node)
    parents = graph.parents(node.key)
    rec["license_class"] = license_family(node)
    rec["findings"] = [
        {"kind": f.kind, "severity": f.severity, "message": f.message, "file": f.file}
        for f in node.findings
    ]
    rec["verdicts"] = verification_verdicts(node, [d for _, d in parents])
    rec["parents"] = [
        {"key": p.key, "name": p.name, "relation": d.relation.value,
         "verdicts": verification_verdicts(d),
         "evidence": [{"source": e.source, "file": e.file, "field": e.field, "value": e.value}
                      for e in d.evidence]}
        for p, d in sorted(parents, key=lambda pd: pd[0].key)
    ]
    return rec


def report_data(graph: LineageGraph) -> dict[str, Any]:
    """The JSON the page embeds: each node's record (see ``node_record``) and the edges."""
    nodes = [_node_data(graph, graph.node(key)) for key in sorted(graph.keys())]
    edges = [
        {"from": c, "to": p, "relation": d.relation.value, "label": edge_label(d.relation),
         "verdicts": verification_verdicts(d)}
        for c, p, d in sorted(graph.edges(), key=lambda e: (e[0], e[1]))
    ]
    title = graph.target.name if graph.target_key else "lineage"
    return {
        "format": REPORT_FORMAT, "title": title,
        "family_colours": LICENSE_FAMILY_COLOURS, "signature_colours": SIGNATURE_COLOURS,
        "unresolved_fill": UNRESOLVED_FILL, "nodes": nodes, "edges": edges,
    }


def _legend() -> str:
    families = "".join(
        f'<span><i style="background:{colour}"></i>{_html.escape(fam)}</span>'
        for fam, colour in LICENSE_FAMILY_COLOURS.items()
    )
    signatures = "".join(
        f'<span><i style="background:#fff;border:3px solid {SIGNATURE_COLOURS[name]}"></i>'
        f"{_html.escape(words)}</span>"
        for name, words in SIGNATURE_WORDS.items()
    )
    marks = ('<span><i style="background:#fafafa;border:2px dashed #757575"></i>unresolved'
             '</span><span><b class="flag">\u26a0</b>findings</span>'
             '<span><b class="verdict">lineage:</b>verification verdict</span>')
    return (f'<div id="legend"><b>License</b>{families}<b>Signature</b>{signatures}'
            f"<b>Marks</b>{marks}</div>")


_CSS = """
*{box-sizing:border-box}body{margin:0;font:13px system-ui,sans-serif;color:#222;display:flex;
height:100vh;overflow:hidden}#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;padding:6px 10px;
border-bottom:1px solid #ddd;background:#f7f7f7}#bar h1{font-size:14px;margin:0 12px 0 0;
overflow-wrap:anywhere;flex:0 1 auto}#search{flex:0 1 240px;min-width:120px;padding:4px 6px}
button{padding:3px 9px}#legend{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:11px;
padding:4px 10px;border-bottom:1px solid #ddd;background:#fbfbfb}#legend span{display:flex;
align-items:center;gap:3px;white-space:nowrap}#legend b{font-weight:600;color:#555}
#legend i{display:inline-block;width:12px;height:12px;border:1px solid #999}
svg{flex:1;min-height:200px;cursor:grab;background:#fff;user-select:none}
svg.drag{cursor:grabbing}.node{cursor:pointer}.node text{font-size:11px;pointer-events:none}
.node .name{font-weight:600}.node .bad{fill:#b71c1c;font-weight:600}.node .ok{fill:#1b5e20}
.node.dim{opacity:.25}.node.hit rect.box{stroke:#1565c0!important;stroke-width:5px!important}
.node.sel rect.box{filter:drop-shadow(0 0 4px #1565c0)}.edge path{fill:none;stroke:#888;
stroke-width:1.4}.edge.aux path{stroke-dasharray:5 4}.edge rect{fill:#fff;stroke:#ddd}
.edge text{font-size:10px;fill:#444}#panel{width:340px;border-left:1px solid #ddd;
padding:10px 14px;overflow:auto;background:#fcfcfc}#panel h2{font-size:15px;margin:4px 0;
overflow-wrap:anywhere}#panel h3{font-size:12px;margin:12px 0 4px;text-transform:uppercase;
color:#666}#panel h4{font-size:12px;margin:8px 0 2px;overflow-wrap:anywhere}#panel ul{margin:0;
padding-left:18px}#panel li{overflow-wrap:anywhere;margin:2px 0}#panel table{border-collapse:
collapse;width:100%;font-size:11px;table-layout:fixed}#panel th,#panel td{border:1px solid #ddd;
padding:2px 4px;text-align:left;vertical-align:top;overflow-wrap:anywhere}#panel th{
background:#f0f0f0}.flag{color:#b71c1c}.verdict{color:#1b5e20}.muted{color:#888}
@media (max-width:900px){body{flex-direction:column;overflow:auto;height:auto}
#main{height:70vh;flex:none}#panel{width:auto;border-left:none;border-top:1px solid #ddd}}
"""



def render_html(graph: LineageGraph) -> str:
    """One HTML document, UTF-8, no external resource. Stable for equal graphs."""
    data = report_data(graph)
    csp = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "img-src data:")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>mlbom lineage: {_html.escape(data['title'])}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<div id="main"><div id="bar">'
        f"<h1>Lineage of {_html.escape(data['title'])}</h1>"
        '<input id="search" type="search" placeholder="search models, licenses…">'
        '<button id="zin" title="zoom in">+</button><button id="zout" title="zoom out">−</button>'
        '<button id="zfit" title="fit">fit</button></div>'
        f"{_legend()}"
        '<svg id="graph" xmlns="http://www.w3.org/2000/svg"></svg></div>'
        '<aside id="panel"></aside>'
        f'<script id="mlbom-data" type="application/json">{_json_for_script(data)}</script>'
        f"<script>{_dagre_js()}</script>"
        f"<script>{_report_js()}</script></body></html>\n"
    )
