// The page of `l4check view`: one self-contained HTML file (no network: data, script and style
// inline) with a sequence diagram of the trace (one lifeline per thread, one row per step, drawn
// lazily for the rows in view), the failure with its evidence, and the kernel state at the selected
// step (slider, arrow keys, a click on a row), what changed since the previous step highlighted.

import type { TraceView } from './trace';

/** JSON safe inside a <script> element. */
const scriptJSON = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const escapeHTML = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const STYLE = `
body { font: 13px/1.35 system-ui, sans-serif; margin: 0; color: #1d2330; height: 100vh; display: flex; flex-direction: column; }
header { padding: 8px 14px; border-bottom: 1px solid #ccd; background: #f6f7fb; }
header h1 { font-size: 15px; margin: 0 0 2px; }
#failure { flex: none; margin: 8px 14px; padding: 8px 10px; border: 1px solid #d33; background: #fff3f3; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; max-height: 180px; overflow: auto; }
#failure.ok { border-color: #3a3; background: #f3fff3; }
main { display: flex; flex: 1; min-height: 0; }
#diagram { flex: 3; overflow: auto; position: relative; border-right: 1px solid #ccd; }
#heads { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ccd; height: 26px; }
#heads div.lifeline { position: absolute; top: 4px; text-align: center; font-weight: 600; overflow: hidden; white-space: nowrap; }
#rows { position: relative; }
#state { flex: 2; overflow: auto; padding: 8px 12px; }
#state table { border-collapse: collapse; margin: 4px 0 10px; font-size: 12px; }
#state td, #state th { border: 1px solid #dde; padding: 1px 6px; text-align: left; }
#state h3 { font-size: 13px; margin: 8px 0 2px; }
ul.cdt, ul.cdt ul { margin: 2px 0; padding-left: 16px; font-size: 12px; }
.changed { background: #fff4c2; }
#controls { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
#slider { flex: 1; }
svg text { font: 11px system-ui, sans-serif; }
.row-sel rect.bg { fill: #dbe8ff; }
.row-fail rect.bg { fill: #ffd0d0; }
`;

const SCRIPT = `
const V = JSON.parse(document.getElementById('data').textContent);
const parts = V.parts.map((p) => JSON.parse(p));
const ROW = 24, GUTTER = 300, COL = 120;
const lifeX = new Map(V.lifelines.map((n, i) => [n, GUTTER + COL * i + COL / 2]));
const width = GUTTER + COL * V.lifelines.length + 20;
const rows = document.getElementById('rows');
const diagram = document.getElementById('diagram');
const heads = document.getElementById('heads');
heads.style.width = width + 'px';
for (const n of V.lifelines) {
  const d = document.createElement('div');
  d.className = 'lifeline'; d.dataset.name = n; d.textContent = n;
  d.style.left = (lifeX.get(n) - COL / 2) + 'px'; d.style.width = COL + 'px';
  heads.appendChild(d);
}
rows.style.height = (V.steps.length * ROW) + 'px';
rows.style.width = width + 'px';
const BLOCKED = { BlockedOnSend: '#e08a00', BlockedOnReceive: '#2a7ae2', BlockedOnReply: '#8a4fd1', BlockedOnNotification: '#0a9a8a', Inactive: '#bbb', Restart: '#c5a100', Running: '#444', Idle: '#ddd' };
const KIND = { ipc: '#2a7ae2', reply: '#8a4fd1', signal: '#0a9a8a', fault: '#d33', irq: '#c56a00' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
let selected = 0;
function rowSVG(s) {
  const y = s.step * ROW;
  const cls = (V.failure && V.failure.step === s.step ? 'row-fail ' : '') + (s.step === selected ? 'row-sel' : '');
  let g = '<g class="row ' + cls + '" data-step="' + s.step + '"><rect class="bg" x="0" y="' + y + '" width="' + width + '" height="' + ROW + '" fill="' + (s.step % 2 ? '#fafbfd' : '#fff') + '"/>';
  g += '<text x="6" y="' + (y + 16) + '" fill="#667">' + s.step + '</text>';
  g += '<text x="40" y="' + (y + 16) + '"><title>' + esc(s.event) + '</title>' + esc((s.actor ? s.actor + ': ' : '') + s.event).slice(0, 44) + '</text>';
  for (const n of V.lifelines) {
    const x = lifeX.get(n), st = s.states[n];
    if (st === undefined) continue;
    const running = n === s.running;
    g += '<line class="life" data-state="' + st + '" x1="' + x + '" x2="' + x + '" y1="' + y + '" y2="' + (y + ROW) + '" stroke="' + (BLOCKED[st] || '#444') + '" stroke-width="' + (running ? 5 : 2) + '"' + (st.startsWith('Blocked') ? ' stroke-dasharray="4 3"' : '') + '><title>' + n + ': ' + st + '</title></line>';
  }
  if (s.tick) g += '<text x="' + (GUTTER - 24) + '" y="' + (y + 16) + '" fill="#c56a00">⏱</text>';
  if (s.switched) g += '<text x="' + (GUTTER - 12) + '" y="' + (y + 16) + '" fill="#667">⇄</text>';
  for (const a of s.arrows) {
    const x1 = lifeX.get(a.from), x2 = lifeX.get(a.to); if (x1 === undefined || x2 === undefined) continue;
    const yy = y + ROW / 2 + 3, dir = x2 >= x1 ? 1 : -1;
    g += '<g class="arrow" data-kind="' + a.kind + '"><line x1="' + x1 + '" y1="' + yy + '" x2="' + (x2 - dir * 6) + '" y2="' + yy + '" stroke="' + KIND[a.kind] + '" stroke-width="1.6"/>';
    g += '<path d="M' + x2 + ' ' + yy + ' l' + (-dir * 7) + ' -4 v8 z" fill="' + KIND[a.kind] + '"/>';
    g += '<text x="' + ((x1 + x2) / 2) + '" y="' + (yy - 4) + '" text-anchor="middle" fill="' + KIND[a.kind] + '">' + esc(a.kind + (a.label ? ': ' + a.label : '')) + '</text></g>';
  }
  if (s.box) {
    const x = lifeX.get(s.actor);
    if (x !== undefined) {
      const bad = s.box.result !== 'NoError';
      g += '<g class="box"><rect x="' + (x - 56) + '" y="' + (y + 3) + '" width="112" height="' + (ROW - 6) + '" rx="3" fill="' + (bad ? '#ffe3e3' : '#e6f4e6') + '" stroke="' + (bad ? '#d33' : '#3a3') + '"/>';
      g += '<text x="' + x + '" y="' + (y + 16) + '" text-anchor="middle"><title>' + esc(s.box.label + ' → ' + s.box.result) + '</title>' + esc((s.box.label + ' ' + s.box.result).slice(0, 19)) + '</text></g>';
    }
  }
  return g + '</g>';
}
let drawn = '';
function draw() {
  const top = diagram.scrollTop, h = diagram.clientHeight;
  const first = Math.max(0, Math.floor(top / ROW) - 20), last = Math.min(V.steps.length - 1, Math.ceil((top + h) / ROW) + 20);
  const key = first + ':' + last + ':' + selected;
  if (key === drawn) return;
  drawn = key;
  let svg = '<svg width="' + width + '" height="' + (V.steps.length * ROW) + '" xmlns="http://www.w3.org/2000/svg">';
  for (let i = first; i <= last; i++) svg += rowSVG(V.steps[i]);
  rows.innerHTML = svg + '</svg>';
}
diagram.addEventListener('scroll', draw);
rows.addEventListener('click', (e) => {
  const g = e.target.closest && e.target.closest('g.row');
  if (g) select(Number(g.dataset.step));
});
const slider = document.getElementById('slider');
slider.max = String(V.steps.length - 1);
slider.addEventListener('input', () => select(Number(slider.value)));
document.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') { select(Math.min(V.steps.length - 1, selected + 1)); e.preventDefault(); }
  if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') { select(Math.max(0, selected - 1)); e.preventDefault(); }
});
function table(head, rows, prevRows, key) {
  const before = new Map((prevRows || []).map((r) => [key(r), JSON.stringify(r)]));
  let h = '<table><tr>' + head.map((x) => '<th>' + x[0] + '</th>').join('') + '</tr>';
  for (const r of rows) {
    const ch = prevRows && before.get(key(r)) !== JSON.stringify(r);
    h += '<tr' + (ch ? ' class="changed"' : '') + ' data-key="' + esc(key(r)) + '">' + head.map((x) => '<td>' + esc(x[1](r) ?? '') + '</td>').join('') + '</tr>';
  }
  return h + '</table>';
}
// The CDT of the caps shown: each cap under its parent (seL4's derivation), originals at the roots.
function cdtTree(cs) {
  const nodes = new Map();
  for (const c of cs) for (const x of c.slots) nodes.set(c.threads[0] + '[' + x.index + ']', x);
  const kids = new Map();
  const roots = [];
  for (const [id, x] of nodes) {
    if (x.parent && nodes.has(x.parent)) (kids.get(x.parent) || kids.set(x.parent, []).get(x.parent)).push(id);
    else if (x.parent || kids.has(id) || [...nodes.values()].some((y) => y.parent === id)) roots.push(id);
  }
  const item = (id, depth) => {
    const x = nodes.get(id);
    const below = (kids.get(id) || []).map((k) => item(k, depth + 1)).join('');
    return '<li data-slot="' + esc(id) + '">' + esc(id + '  ' + x.cap + (x.object ? ' ' + x.object : '') + (x.badge ? ' badge 0x' + x.badge.toString(16) : '') + (x.parent && !nodes.has(x.parent) ? '  (parent ' + x.parent + ')' : '')) + (below ? '<ul>' + below + '</ul>' : '') + '</li>';
  };
  return roots.length ? '<ul class="cdt">' + roots.map((r) => item(r, 0)).join('') + '</ul>' : '<div>(no derived caps)</div>';
}
function select(k) {
  selected = k;
  slider.value = String(k);
  const s = V.steps[k], p = k > 0 ? V.steps[k - 1] : undefined;
  const [th, qu, rd, cs] = s.state.map((i) => parts[i]);
  const prev = p ? p.state.map((i) => parts[i]) : [];
  let h = '<div id="step-title"><b>step ' + k + '</b>: ' + esc(s.event) + (s.actor ? ' (by ' + esc(s.actor) + ')' : '') + ' → running ' + esc(s.running) + '</div>';
  if (V.failure && V.failure.step === k) h += '<div style="color:#d33">' + esc(V.failure.what) + '</div>';
  h += '<h3>threads</h3>' + table([['', (t) => (t.running ? '▶' : '')], ['thread', (t) => t.name], ['state', (t) => t.state + (t.on ? ' on ' + t.on : '')], ['prio', (t) => t.priority], ['mcp', (t) => t.mcp], ['bound', (t) => t.bound], ['fault h.', (t) => t.faultHandler]], th.threads, p && prev[0].threads, (t) => t.name);
  h += '<h3>endpoint and notification queues</h3>' + table([['object', (q) => q.name], ['state', (q) => q.state], ['queue', (q) => q.queue.join(', ')], ['word', (q) => (q.word === undefined ? '' : '0x' + q.word.toString(16))], ['bound', (q) => q.bound]], qu, p && prev[1], (q) => q.name);
  h += '<h3>ready queues</h3>' + table([['prio', (r) => r.priority], ['threads', (r) => r.threads.join(', ')]], rd, p && prev[2], (r) => String(r.priority));
  for (const c of cs) {
    const pc = p && prev[3].find((x) => x.name === c.name);
    h += '<h3>CSpace ' + esc(c.name) + ' of ' + esc(c.threads.join(', ')) + '</h3>' + table([['slot', (x) => x.index], ['cap', (x) => x.cap], ['object', (x) => x.object], ['rights', (x) => x.rights], ['badge', (x) => (x.badge ? '0x' + x.badge.toString(16) : '')], ['CDT parent', (x) => x.parent], ['untyped used', (x) => (x.watermark ? '0x' + x.watermark.used.toString(16) + ' / 0x' + x.watermark.size.toString(16) : '')]], c.slots, p && (pc ? pc.slots : []), (x) => String(x.index));
  }
  h += '<h3>capability derivation tree</h3>' + cdtTree(cs);
  document.getElementById('panel').innerHTML = h;
  const y = k * ROW;
  if (y < diagram.scrollTop + 26 || y > diagram.scrollTop + diagram.clientHeight - ROW) diagram.scrollTop = Math.max(0, y - diagram.clientHeight / 2);
  drawn = '';
  draw();
}
window.l4view = { lifelines: V.lifelines.length, steps: V.steps.length, arrows: V.steps.reduce((a, s) => a + s.arrows.length, 0), select, get selected() { return selected; } };
select(V.failure ? V.failure.step : 0);
`;

export function viewHTML(v: TraceView): string {
  const f = v.failure;
  const failure = f
    ? `<div id="failure">${escapeHTML([`${f.check ?? 'failure'} at step ${f.step}: ${f.what}`, ...(f.diffs ?? []).slice(0, 30).map((d) => `  ${d.path}: spec ${JSON.stringify(d.spec)}, impl ${JSON.stringify(d.impl)}`), ...(f.evidence !== undefined ? [`evidence: ${JSON.stringify(f.evidence, null, 1)}`] : [])].join('\n'))}</div>`
    : `<div id="failure" class="ok">${v.checked ? 'every check passed (both kernels, refinement, every invariant and contract)' : 'replayed on the spec; checks not run'}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHTML(v.name)} — l4check view</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<style>${STYLE}</style></head>
<body>
<header><h1>${escapeHTML(v.name)}</h1><div>${escapeHTML(v.file)} · ${v.steps.length - 1} steps · ${v.lifelines.length} lifelines</div></header>
${failure}
<main><div id="diagram"><div id="heads"></div><div id="rows"></div></div>
<div id="state"><div id="controls"><span>step</span><input id="slider" type="range" min="0" value="0"></div><div id="panel"></div></div></main>
<script type="application/json" id="data">${scriptJSON(v)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
