"""The lineage as one self-contained, interactive HTML file (works offline, from file://).

Python lays the DAG out (``sbom.views.layout``) and embeds nodes, edges and positions as JSON in
a ``<script type="application/json">`` block, with ``<``, ``>``, ``&`` (and U+2028/2029) written
as ``\\uXXXX`` so no card text can close the block or become markup. A small vanilla script
draws the SVG from that JSON and fills the side panel with ``textContent`` only, never
``innerHTML``: hostile text stays text. Pan (drag), zoom (wheel, buttons), search (highlights
matching nodes), click a node for license, datasets, files, signature, evidence and the
unresolved reason. No CDN, no external request; the Content-Security-Policy forbids them.
"""

from __future__ import annotations

import json
from typing import Any

from lineage.graph import LineageGraph
from lineage.text_safety import escape_json_text, printable
from sbom.views.common import (
    FAMILY_COLOURS,
    SIGNATURE_COLOURS,
    UNRESOLVED_FILL,
    edge_label,
    node_record,
)
from sbom.views.layout import NODE_HEIGHT, NODE_WIDTH, layout_graph


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


def report_data(graph: LineageGraph) -> dict[str, Any]:
    """The JSON the page embeds: layout plus each node's record (see ``node_record``)."""
    layout = layout_graph(graph)
    nodes = []
    for key in sorted(graph.keys()):
        rec = node_record(graph, graph.node(key))
        placed = layout.nodes[key]
        rec.update(x=placed.x, y=placed.y, layer=placed.layer)
        nodes.append(rec)
    edges = [
        {"from": c, "to": p, "relation": d.relation.value, "label": edge_label(d.relation),
         "evidence": [str(e) for e in d.evidence]}
        for c, p, d in sorted(graph.edges(), key=lambda e: (e[0], e[1]))
    ]
    title = graph.target.name if graph.target_key else "lineage"
    return {
        "title": title, "width": layout.width, "height": layout.height,
        "node_width": NODE_WIDTH, "node_height": NODE_HEIGHT,
        "family_colours": FAMILY_COLOURS, "signature_colours": SIGNATURE_COLOURS,
        "unresolved_fill": UNRESOLVED_FILL, "nodes": nodes, "edges": edges,
    }


_CSS = """
*{box-sizing:border-box}body{margin:0;font:13px system-ui,sans-serif;color:#222;display:flex;
height:100vh;overflow:hidden}#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;padding:6px 10px;
border-bottom:1px solid #ddd;background:#f7f7f7}#bar h1{font-size:14px;margin:0 12px 0 0;
white-space:nowrap;overflow:hidden;
text-overflow:ellipsis;flex:0 0 auto;max-width:360px}#search{flex:0 1 260px;padding:4px 6px}
button{padding:3px 9px}
#legend{margin-left:auto;display:flex;gap:8px;font-size:11px}#legend span{display:flex;
align-items:center;gap:3px}#legend i{display:inline-block;width:11px;height:11px;
border:1px solid #999}svg{flex:1;cursor:grab;background:#fff;user-select:none}
svg.drag{cursor:grabbing}.node{cursor:pointer}.node rect{rx:8px}.node text{font-size:11px;
pointer-events:none}.node .name{font-weight:600}.node.dim{opacity:.25}.node.hit rect{
stroke:#1565c0!important;stroke-width:5px!important}.node.sel rect{filter:drop-shadow(0 0 4px
#1565c0)}.edge path{fill:none;stroke:#888;stroke-width:1.4}.edge.aux path{stroke-dasharray:5 4}
.edge text{font-size:10px;fill:#555}#panel{width:360px;border-left:1px solid #ddd;padding:10px
14px;overflow:auto;background:#fcfcfc}#panel h2{font-size:15px;margin:4px 0;word-break:break-all}
#panel h3{font-size:12px;margin:12px 0 4px;text-transform:uppercase;color:#666}#panel ul{
margin:0;padding-left:18px}#panel li{word-break:break-all;margin:2px 0}.flag{color:#b71c1c}
.muted{color:#888}
"""

_JS = r"""
(function(){
"use strict";
var D=JSON.parse(document.getElementById("mlbom-data").textContent);
var NS="http://www.w3.org/2000/svg",svg=document.getElementById("graph");
var W=D.node_width,H=D.node_height,byKey={},els={};
D.nodes.forEach(function(n){byKey[n.key]=n;});
function el(tag,attrs,parent){var e=document.createElementNS(NS,tag);
 for(var k in attrs){e.setAttribute(k,attrs[k]);}if(parent){parent.appendChild(e);}return e;}
function txt(tag,text,parent,cls){var e=document.createElement(tag);e.textContent=text;
 if(cls){e.className=cls;}parent.appendChild(e);return e;}
function clip(s,n){s=String(s==null?"":s);return s.length>n?s.slice(0,n-1)+"\u2026":s;}
var defs=el("defs",{},svg),m=el("marker",{id:"arrow",viewBox:"0 0 10 10",refX:"10",refY:"5",
 markerWidth:"7",markerHeight:"7",orient:"auto-start-reverse"},defs);
el("path",{d:"M0,0L10,5L0,10z",fill:"#888"},m);
var world=el("g",{id:"world"},svg),eg=el("g",{},world),ng=el("g",{},world);
D.edges.forEach(function(e){var a=byKey[e.from],b=byKey[e.to];
 var aux=e.relation==="trained_on"||e.relation==="remote_code";
 var g=el("g",{"class":"edge"+(aux?" aux":"")},eg);
 var y1=a.y+H/2,y2=b.y-H/2,my=(y1+y2)/2;
 if(b.y<=a.y){y1=a.y-H/2;y2=b.y+H/2;my=(y1+y2)/2;}
 el("path",{d:"M"+a.x+","+y1+" C"+a.x+","+my+" "+b.x+","+my+" "+b.x+","+y2,
  "marker-end":"url(#arrow)"},g);
 var t=el("text",{x:(a.x+b.x)/2+4,y:my,"text-anchor":"middle"},g);t.textContent=e.label;});
D.nodes.forEach(function(n){
 var g=el("g",{"class":"node","data-key":n.key,
  transform:"translate("+(n.x-W/2)+","+(n.y-H/2)+")"},ng);
 var sig=D.signature_colours[n.signature_class];
 el("rect",{width:W,height:H,fill:n.unresolved?D.unresolved_fill:D.family_colours[n.license_family],
  stroke:sig,"stroke-width":n.signature_class==="unsigned"?1:3,
  "stroke-dasharray":n.unresolved?"6 4":"none"},g);
 var t1=el("text",{x:8,y:17,"class":"name"},g);
 t1.textContent=clip((n.is_target?"\u2605 ":"")+n.name,32);
 var t2=el("text",{x:8,y:33},g);t2.textContent=clip(n.kind+(n.sha?" @"+n.sha.slice(0,7):"")+
  (n.signature?" \u00b7 sig: "+n.signature.status:""),36);
 var t3=el("text",{x:8,y:49},g);t3.textContent=clip(n.unresolved?"unresolved: "+n.unresolved:
  n.license+(n.flags.length?"  \u26a0 "+n.flags.length:""),36);
 g.addEventListener("click",function(ev){ev.stopPropagation();select(n.key);});
 els[n.key]=g;});
var vb={x:0,y:0,w:D.width,h:D.height};
function apply(){svg.setAttribute("viewBox",vb.x+" "+vb.y+" "+vb.w+" "+vb.h);}
function fit(){var r=svg.getBoundingClientRect(),s=Math.max(D.width/r.width,D.height/r.height,0.5);
 vb.w=r.width*s;vb.h=r.height*s;vb.x=(D.width-vb.w)/2;vb.y=(D.height-vb.h)/2;apply();}
function zoom(f,cx,cy){if(cx===undefined){cx=vb.x+vb.w/2;cy=vb.y+vb.h/2;}
 vb.x=cx-(cx-vb.x)*f;vb.y=cy-(cy-vb.y)*f;vb.w*=f;vb.h*=f;apply();}
svg.addEventListener("wheel",function(ev){ev.preventDefault();var r=svg.getBoundingClientRect();
 zoom(ev.deltaY>0?1.15:1/1.15,vb.x+(ev.clientX-r.left)/r.width*vb.w,vb.y+(ev.clientY-r.top)/r.height*vb.h);},
 {passive:false});
var drag=null;
svg.addEventListener("mousedown",function(ev){drag={x:ev.clientX,y:ev.clientY,vx:vb.x,vy:vb.y};
 svg.classList.add("drag");});
window.addEventListener("mousemove",function(ev){if(!drag){return;}
 var r=svg.getBoundingClientRect();
 vb.x=drag.vx-(ev.clientX-drag.x)*vb.w/r.width;
 vb.y=drag.vy-(ev.clientY-drag.y)*vb.h/r.height;apply();});
window.addEventListener("mouseup",function(){drag=null;svg.classList.remove("drag");});
document.getElementById("zin").onclick=function(){zoom(1/1.25);};
document.getElementById("zout").onclick=function(){zoom(1.25);};
document.getElementById("zfit").onclick=fit;
var search=document.getElementById("search");
search.addEventListener("input",function(){var q=search.value.trim().toLowerCase();
 D.nodes.forEach(function(n){var g=els[n.key];
  var hay=[n.name,n.key,n.license,n.kind,n.unresolved||""].join(" ").toLowerCase();
  var hit=q!==""&&hay.indexOf(q)>=0;g.classList.toggle("hit",hit);
  g.classList.toggle("dim",q!==""&&!hit);});});
var panel=document.getElementById("panel");
function section(title,items){txt("h3",title,panel);
 if(!items.length){txt("p","none",panel,"muted");return;}
 var ul=document.createElement("ul");panel.appendChild(ul);
 items.forEach(function(i){txt("li",i,ul,i.indexOf("!")===0?"flag":"");});}
function select(key){var n=byKey[key];
 D.nodes.forEach(function(o){els[o.key].classList.toggle("sel",o.key===key);});
 while(panel.firstChild){panel.removeChild(panel.firstChild);}
 txt("h2",n.name,panel);
 txt("div",n.kind+(n.is_target?" (target)":"")+(n.relation?" \u00b7 "+n.relation:""),panel,"muted");
 if(n.sha){txt("div","commit "+n.sha,panel,"muted");}
 if(n.unresolved){txt("p","! unresolved: "+n.unresolved,panel,"flag");}
 var l=n.license_detail,li=["license: "+n.license,"family: "+n.license_family];
 if(l){if(l.declared){li.push("declared: "+l.declared);}if(l.url){li.push("url: "+l.url);}
  li.push("source: "+l.source);}
 section("License",li);
 section("Flags",n.flags.map(function(f){return "! "+f;}));
 var s=n.signature;section("Signature",s?["status: "+s.status].concat(
  ["signer","issuer","method","reason","file"].filter(function(k){return s[k];})
  .map(function(k){return k+": "+s[k];})):["no signature information"]);
 section("Datasets",n.datasets);
 if(n.code.length){section("Remote code",n.code);}
 section("Files",n.files.map(function(f){return f.name+" ("+f.format+(f.unsafe?", unsafe":"")+")"+
  (f.sha256?" sha256:"+f.sha256:"");}));
 section("Parents and evidence",n.parents.map(function(p){return p.relation+" \u2192 "+p.name+
  (p.evidence.length?"  [ "+p.evidence.join("; ")+" ]":"");}));
}
svg.addEventListener("click",function(){});
fit();window.addEventListener("resize",fit);
var target=D.nodes.filter(function(n){return n.is_target;})[0];if(target){select(target.key);}
})();
"""


def render_html(graph: LineageGraph) -> str:
    """One HTML document, UTF-8, no external resource. Stable for equal graphs."""
    import html as _html

    data = report_data(graph)
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{fam}</span>'
        for fam, colour in FAMILY_COLOURS.items()
    ) + "".join(
        f'<span><i style="background:#fff;border:3px solid {colour}"></i>sig {name}</span>'
        for name, colour in SIGNATURE_COLOURS.items() if name != "unsigned"
    )
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
        '<button id="zfit" title="fit">fit</button>'
        f'<div id="legend">{legend}</div></div>'
        '<svg id="graph" xmlns="http://www.w3.org/2000/svg"></svg></div>'
        '<aside id="panel"></aside>'
        f'<script id="mlbom-data" type="application/json">{_json_for_script(data)}</script>'
        f"<script>{_JS}</script></body></html>\n"
    )
