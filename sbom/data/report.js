/* mlbom HTML report: lays the lineage out with dagre and draws it (see sbom/views/html.py). */
(function(){
"use strict";
var D=JSON.parse(document.getElementById("mlbom-data").textContent);
var NS="http://www.w3.org/2000/svg",svg=document.getElementById("graph");
var W=220,PAD=8,LINE=14,byKey={},els={},t0=performance.now();
var GOOD=/^(confirmed|verified|consistent|match(ed)?|ok)$/i;
D.nodes.forEach(function(n){byKey[n.key]=n;});
function el(tag,attrs,parent){var e=document.createElementNS(NS,tag);
 for(var k in attrs){e.setAttribute(k,attrs[k]);}if(parent){parent.appendChild(e);}return e;}
function txt(tag,text,parent,cls){var e=document.createElement(tag);e.textContent=text;
 if(cls){e.className=cls;}parent.appendChild(e);return e;}
var defs=el("defs",{},svg),m=el("marker",{id:"arrow",viewBox:"0 0 10 10",refX:"10",refY:"5",
 markerWidth:"7",markerHeight:"7",orient:"auto-start-reverse"},defs);
el("path",{d:"M0,0L10,5L0,10z",fill:"#888"},m);
var world=el("g",{id:"world"},svg),eg=el("g",{},world),ng=el("g",{},world);
var probe=el("text",{"font-size":"11px","font-weight":"600"},world);
function width(s,bold){probe.setAttribute("font-weight",bold?"600":"400");probe.textContent=s;
 return probe.getComputedTextLength();}
/* Lines of at most `max` px: break after "/", "-", "_" or a space; a piece still too long
   is cut between characters. Joined, the lines are the whole text. */
function wrap(s,max,bold){var parts=String(s).match(/[^\/\-_ ]*[\/\-_ ]?/g).filter(Boolean);
 var lines=[],cur="";parts.forEach(function(p){
  if(width(cur+p,bold)<=max){cur+=p;return;}
  if(cur){lines.push(cur);cur="";}
  while(width(p,bold)>max){var i=1;while(i<p.length&&width(p.slice(0,i+1),bold)<=max){i++;}
   lines.push(p.slice(0,i));p=p.slice(i);}
  cur=p;});
 if(cur||!lines.length){lines.push(cur);}return lines;}
function nodeLines(n){var L=[],max=W-2*PAD;
 wrap((n.is_target?"\u2605 ":"")+n.name,max,true).forEach(function(s){L.push([s,"name"]);});
 L.push([n.kind+(n.sha?" @"+n.sha.slice(0,7):"")+(n.signature?" \u00b7 sig "+n.signature.status:""),""]);
 wrap(n.license,max,false).forEach(function(s){L.push([s,""]);});
 if(n.unresolved){wrap("unresolved: "+n.unresolved,max,true).forEach(function(s){L.push([s,"bad"]);});}
 var bad=n.flags.length-(n.unresolved?1:0);
 if(bad>0){L.push(["\u26a0 "+bad+(bad===1?" finding":" findings"),"bad"]);}
 n.verdicts.forEach(function(v){var cls=GOOD.test(v)?"ok":"bad";
  wrap("lineage: "+v,max,false).forEach(function(s){L.push([s,cls]);});});
 return L;}
var G=new dagre.graphlib.Graph({multigraph:true});
G.setGraph({rankdir:"TB",nodesep:24,edgesep:14,ranksep:36,marginx:16,marginy:16});
G.setDefaultEdgeLabel(function(){return {};});
D.nodes.forEach(function(n){var lines=nodeLines(n),h=lines.length*LINE+2*PAD-2;
 n._lines=lines;G.setNode(n.key,{width:W,height:h});});
D.edges.forEach(function(e,i){var w=width(e.label,false)*10/11+10;
 G.setEdge(e.from,e.to,{width:w,height:16,labelpos:"c"},"e"+i);});
dagre.layout(G);
probe.remove();
var layoutMs=performance.now()-t0;
/* Bands: the vertical extent of each rank (boxes and labels sharing a centre line). */
var band={};function addBand(y,h){var k=Math.round(y);band[k]=Math.max(band[k]||0,h/2);}
G.nodes().forEach(function(k){var b=G.node(k);addBand(b.y,b.height);});
G.edges().forEach(function(ed){var l=G.edge(ed);addBand(l.y,l.height);});
function half(y){return band[Math.round(y)]||0;}
function inner(ed){return G.edge(ed).points.slice(1,-1);}
/* Where each edge leaves its child (bottom side) and enters its parent (top side): spread
   over the middle of the box in the order of the edges' first and last bend points. */
var outs={},ins={};G.edges().forEach(function(ed){(outs[ed.v]=outs[ed.v]||[]).push(ed);
 (ins[ed.w]=ins[ed.w]||[]).push(ed);});
var sx={},ex={};function spread(list,key,box,pick,into){
 list.sort(function(a,b){return pick(a)-pick(b);});
 list.forEach(function(ed,i){into[ed.name]=box.x-box.width*0.4+box.width*0.8*(i+1)/(list.length+1);});}
Object.keys(outs).forEach(function(k){spread(outs[k],k,G.node(k),function(ed){return inner(ed)[0].x;},sx);});
Object.keys(ins).forEach(function(k){spread(ins[k],k,G.node(k),function(ed){var p=inner(ed);return p[p.length-1].x;},ex);});
function route(ed){var a=G.node(ed.v),b=G.node(ed.w),pts=[];
 pts.push([sx[ed.name],a.y+a.height/2]);pts.push([sx[ed.name],a.y+half(a.y)]);
 inner(ed).forEach(function(p){var h=half(p.y);pts.push([p.x,p.y-h]);pts.push([p.x,p.y+h]);});
 pts.push([ex[ed.name],b.y-half(b.y)]);pts.push([ex[ed.name],b.y-b.height/2]);
 return pts.filter(function(p,i){return i===0||Math.abs(p[0]-pts[i-1][0])+Math.abs(p[1]-pts[i-1][1])>0.01;});}
function pathD(pts){var d="M"+pts[0][0].toFixed(1)+","+pts[0][1].toFixed(1);
 for(var i=1;i<pts.length;i++){var p=pts[i];
  if(i<pts.length-1){var a=pts[i-1],c=pts[i+1];
   var la=Math.hypot(p[0]-a[0],p[1]-a[1]),lc=Math.hypot(c[0]-p[0],c[1]-p[1]),r=Math.min(6,la/2,lc/2);
   var p1=[p[0]-(p[0]-a[0])*r/la,p[1]-(p[1]-a[1])*r/la],p2=[p[0]+(c[0]-p[0])*r/lc,p[1]+(c[1]-p[1])*r/lc];
   d+=" L"+p1[0].toFixed(1)+","+p1[1].toFixed(1)+" Q"+p[0].toFixed(1)+","+p[1].toFixed(1)+" "+
    p2[0].toFixed(1)+","+p2[1].toFixed(1);}
  else{d+=" L"+p[0].toFixed(1)+","+p[1].toFixed(1);}}
 return d;}
G.edges().forEach(function(ed){var e=D.edges[+ed.name.slice(1)],l=G.edge(ed);
 var aux=e.relation==="trained_on"||e.relation==="remote_code";
 var g=el("g",{"class":"edge"+(aux?" aux":""),"data-from":e.from,"data-to":e.to},eg);
 el("path",{d:pathD(route(ed)),"marker-end":"url(#arrow)"},g);
 var lg=el("g",{"class":"label"},g);
 el("rect",{x:l.x-l.width/2,y:l.y-l.height/2,width:l.width,height:l.height,rx:3},lg);
 var t=el("text",{x:l.x,y:l.y+3.5,"text-anchor":"middle"},lg);t.textContent=e.label;});
D.nodes.forEach(function(n){var b=G.node(n.key);
 var g=el("g",{"class":"node","data-key":n.key,
  transform:"translate("+(b.x-b.width/2)+","+(b.y-b.height/2)+")"},ng);
 el("title",{},g).textContent=n.name;
 var sig=D.signature_colours[n.signature_class];
 el("rect",{"class":"box",width:b.width,height:b.height,rx:8,
  fill:n.unresolved?D.unresolved_fill:D.family_colours[n.license_class],
  stroke:sig,"stroke-width":n.signature_class==="unsigned"?1:3,
  "stroke-dasharray":n.unresolved?"6 4":"none"},g);
 n._lines.forEach(function(line,i){var t=el("text",{x:PAD,y:PAD+10+i*LINE},g);
  if(line[1]){t.setAttribute("class",line[1]);}t.textContent=line[0];});
 g.addEventListener("click",function(ev){ev.stopPropagation();select(n.key);});
 els[n.key]=g;});
var GW=G.graph().width,GH=G.graph().height;
var vb={x:0,y:0,w:GW,h:GH};
function apply(){svg.setAttribute("viewBox",vb.x+" "+vb.y+" "+vb.w+" "+vb.h);}
function fitAll(){var r=svg.getBoundingClientRect(),s=Math.max(GW/r.width,GH/r.height,0.77);
 vb.w=r.width*s;vb.h=r.height*s;vb.x=(GW-vb.w)/2;vb.y=(GH-vb.h)/2;apply();}
/* First view: the whole graph if it stays readable (at least 0.75 px per unit), else full
   size from the top, centred on the target. */
function start(){var r=svg.getBoundingClientRect(),s=Math.max(GW/r.width,GH/r.height,0.77);
 if(s<=1.35){fitAll();return;}
 var tk=D.nodes.filter(function(n){return n.is_target;})[0],cx=tk?G.node(tk.key).x:GW/2;
 vb.w=r.width;vb.h=r.height;vb.x=Math.max(0,Math.min(cx-r.width/2,GW-r.width));vb.y=0;apply();}
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
document.getElementById("zfit").onclick=fitAll;
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
function table(head,rows,parent){var t=document.createElement("table"),tr=document.createElement("tr");
 head.forEach(function(h){txt("th",h,tr);});t.appendChild(tr);
 rows.forEach(function(r){var row=document.createElement("tr");
  r.forEach(function(c){txt("td",c==null?"":String(c),row);});t.appendChild(row);});
 parent.appendChild(t);}
function parents(n){txt("h3","Parents and evidence",panel);
 if(!n.parents.length){txt("p","none",panel,"muted");return;}
 n.parents.forEach(function(p){txt("h4",p.relation.replace("_"," ")+" \u2192 "+p.name,panel);
  p.verdicts.forEach(function(v){txt("div","lineage: "+v,panel,GOOD.test(v)?"verdict":"flag");});
  if(!p.evidence.length){txt("p","no evidence recorded",panel,"muted");return;}
  table(["source","file","field","value"],p.evidence.map(function(e){
   return [e.source,e.file,e.field,e.value];}),panel);});}
function select(key){var n=byKey[key];
 D.nodes.forEach(function(o){els[o.key].classList.toggle("sel",o.key===key);});
 while(panel.firstChild){panel.removeChild(panel.firstChild);}
 txt("h2",n.name,panel);
 txt("div",n.kind+(n.is_target?" (target)":"")+(n.relation?" \u00b7 "+n.relation:""),panel,"muted");
 if(n.sha){txt("div","commit "+n.sha,panel,"muted");}
 if(n.unresolved){txt("p","! unresolved: "+n.unresolved,panel,"flag");}
 var l=n.license_detail,li=["license: "+n.license,"family: "+n.license_class];
 if(l){if(l.declared){li.push("declared: "+l.declared);}if(l.url){li.push("url: "+l.url);}
  li.push("source: "+l.source);}
 section("License",li);
 section("Flags",n.flags.map(function(f){return "! "+f;}));
 if(n.verdicts.length){section("Lineage verification",n.verdicts);}
 var s=n.signature;section("Signature",s?["status: "+s.status].concat(
  ["signer","issuer","method","reason","file"].filter(function(k){return s[k];})
  .map(function(k){return k+": "+s[k];})):["no signature information"]);
 section("Datasets",n.datasets);
 if(n.code.length){section("Remote code",n.code);}
 section("Files",n.files.map(function(f){return f.name+" ("+f.format+(f.unsafe?", unsafe":"")+")"+
  (f.sha256?" sha256:"+f.sha256:"");}));
 parents(n);}
start();window.addEventListener("resize",start);
var target=D.nodes.filter(function(n){return n.is_target;})[0];if(target){select(target.key);}
document.body.dataset.layoutMs=layoutMs.toFixed(1);
document.body.dataset.ready="1";
})();
