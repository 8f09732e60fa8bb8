/* Hatch dashboard script: polls the origin's JSON API every second and renders the page.
 *   /api/overview, /api/placements, /api/nodes, /api/graph  whole views, re-rendered when changed
 *   /api/learner?after=N, /api/decisions?after=N             incremental; the page keeps its lists
 * A failed fetch shows a banner and keeps the last data. "?token=T" in the page URL is sent as
 * "Authorization: Bearer T". Plain ES2020, no dependencies; the SVG is drawn by hand. */
'use strict';
(() => {
const POLL_MS = 1000, MAX_WINDOWS = 2000, MAX_DECISIONS = 500, RECHECK = 50;
const SVGNS = 'http://www.w3.org/2000/svg';
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
// Decision kinds that change a placement (they carry from/to); the rest are events.
const MOVES = new Set(['probe', 'adopt', 'return', 'rollback', 'move failed', 'measure', 'pin']);

const st = {
  seen: {},                 // endpoint -> last response text, to skip unchanged re-renders
  overview: null, placements: [], nodes: null, graph: null, learner: null,
  windows: [], lastWindow: null,
  decisions: new Map(), lastDecision: null,   // index -> {d, tr}
  moves: new Set(), shifts: new Set(),        // window indices marked on the chart
  okAt: null, uptime: null, hover: undefined,
};

// ---- small helpers -------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
const num = (v) => typeof v === 'number' && Number.isFinite(v);
function build(n, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== false) n.setAttribute(k, v);
  for (const k of kids.flat(Infinity)) if (k !== undefined && k !== null && k !== false) n.append(k instanceof Node ? k : String(k));
  return n;
}
const el = (tag, attrs, ...kids) => build(document.createElement(tag), attrs, kids);
const sv = (tag, attrs, ...kids) => build(document.createElementNS(SVGNS, tag), attrs, kids);
const pad2 = (n) => String(n).padStart(2, '0');
const clock = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
const fmtMs = (v) => !num(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));
const fmtRate = (v) => !num(v) ? '–' : v >= 10 ? String(Math.round(v)) : v.toFixed(1);
const fmtReward = (v) => num(v) && v >= 0 ? v.toFixed(3) : '…';
function fmtDur(s) {
  if (!num(s)) return '–';
  if (s < 60) return s.toFixed(1) + ' s';
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = Math.floor(s % 60);
  return h ? `${h}h ${pad2(m)}m` : `${m}m ${pad2(sec)}s`;
}
const kindOf = (p) => (/^(local|on|replicated|sharded)\b/.exec(p || '') || [, 'other'])[1];
const slug = (s) => String(s || '').replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const textWidth = (s, px) => String(s).length * px;   // rough; fonts are not measured
const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;

// "cache=sharded{a,b} store=on(b)" -> chips coloured by placement kind
function designChips(text) {
  if (!text) return [el('span', { class: 'empty' }, '—')];
  const parts = String(text).split(/\s+(?=[^\s=]+=)/);
  return parts.flatMap((p, i) => {
    const at = p.indexOf('=');
    const chip = at > 0
      ? el('span', { class: 'chip kind-' + kindOf(p.slice(at + 1)) }, el('b', {}, p.slice(0, at)), '=', p.slice(at + 1))
      : el('span', { class: 'chip' }, p);
    return i ? [' ', chip] : [chip];
  });
}

// ---- fetching ------------------------------------------------------------------------------
async function getJSON(path) {
  const name = path.split('?')[0];
  const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), 4000);
  try {
    const r = await fetch(path, { headers, cache: 'no-store', signal: ctl.signal });
    if (!r.ok) {
      const hint = r.status === 401 || r.status === 403 ? ' (open the page with ?token=…)' : '';
      throw new Error(`HTTP ${r.status}${hint}`);
    }
    const text = await r.text();
    return { name, text, data: JSON.parse(text) };
  } catch (e) {
    throw new Error(`${name}: ${e.name === 'AbortError' ? 'timed out' : e.message}`);
  } finally { clearTimeout(timer); }
}

function decisionsQuery() {
  if (st.lastDecision === null) return '';
  // Ask again from the oldest recent move whose reward_after is still pending (-1).
  let after = st.lastDecision;
  for (const [i, { d }] of st.decisions) {
    if (i > st.lastDecision - RECHECK && MOVES.has(d.kind) && !(d.reward_after >= 0)) { after = Math.min(after, i - 1); break; }
  }
  return after > 0 ? `?after=${after}` : '';
}

function resetHistory() {
  st.windows = []; st.lastWindow = null; st.lastDecision = null;
  st.decisions.clear(); st.moves.clear(); st.shifts.clear();
  $('decisions').tBodies[0].replaceChildren();
  delete st.seen.learner; delete st.seen.decisions;
}

async function poll() {
  const paths = ['api/overview', 'api/placements', 'api/nodes', 'api/graph',
    'api/learner' + (st.lastWindow === null ? '' : `?after=${st.lastWindow}`), 'api/decisions' + decisionsQuery()];
  const results = await Promise.allSettled(paths.map(getJSON));
  const errors = [];
  const dirty = new Set();
  let restarted = false;
  for (const r of results) {
    if (r.status === 'rejected') { errors.push(r.reason.message); continue; }
    const { name, text, data } = r.value, key = name.replace('api/', '');
    if (restarted && (key === 'learner' || key === 'decisions')) continue;   // asked with stale `after`
    if (st.seen[key] === text) continue;
    st.seen[key] = text;
    try {
      if (key === 'overview') {
        if (num(data.uptime_s) && num(st.uptime) && data.uptime_s + 2 < st.uptime) { resetHistory(); restarted = true; }
        st.uptime = data.uptime_s; st.overview = data;
      } else if (key === 'placements') st.placements = Array.isArray(data.components) ? data.components : [];
      else if (key === 'nodes') st.nodes = data;
      else if (key === 'graph') st.graph = data;
      else if (key === 'learner') takeLearner(data);
      else if (key === 'decisions') takeDecisions(data.decisions || []);
      dirty.add(key);
    } catch (e) { errors.push(`${name}: ${e.message}`); console.error(e); delete st.seen[key]; }
  }
  const renders = [
    [['overview'], renderHeader], [['placements', 'graph'], renderGraph], [['placements', 'nodes'], renderHosts],
    [['placements'], renderPlacements], [['placements', 'nodes'], renderNodes], [['learner'], renderLearner],
    [['learner', 'decisions'], renderChart]];
  for (const [keys, fn] of renders) {
    if (!keys.some((k) => dirty.has(k))) continue;
    try { fn(); } catch (e) { errors.push(`drawing: ${e.message}`); console.error(e); }
  }
  if (!errors.length) st.okAt = new Date();
  const banner = $('banner'), up = $('updated');
  banner.hidden = !errors.length;
  if (errors.length) {
    const reasons = new Set(errors.map((e) => e.replace(/^api\/\w+: /, '')));
    const what = errors.length >= paths.length && reasons.size === 1 ? [...reasons][0] : errors.join('; ');
    banner.textContent = `Cannot fetch from the origin: ${what}. ` +
      (st.okAt ? `Showing the data from ${clock(st.okAt)}.` : 'No data yet.');
  }
  up.textContent = st.okAt ? `updated ${clock(st.okAt)}` : 'not updated yet';
  up.classList.toggle('stale', errors.length > 0);
}

async function loop() {
  try { await poll(); } catch (e) { console.error(e); }
  setTimeout(loop, POLL_MS);
}

// ---- data intake ---------------------------------------------------------------------------
function takeLearner(data) {
  st.learner = data.status || null;
  if (!st.learner) { if (st.windows.length) resetHistory(); return; }
  const fresh = (data.windows || []).filter((w) => num(w.index) && (st.lastWindow === null || w.index > st.lastWindow));
  if (!fresh.length) return;
  st.windows.push(...fresh);
  st.windows.sort((a, b) => a.index - b.index);
  if (st.windows.length > MAX_WINDOWS) st.windows.splice(0, st.windows.length - MAX_WINDOWS);
  st.lastWindow = st.windows[st.windows.length - 1].index;
  const first = st.windows[0].index;
  for (const set of [st.moves, st.shifts]) for (const i of set) if (i < first) set.delete(i);
}

function takeDecisions(list) {
  const body = $('decisions').tBodies[0];
  for (const d of list) {
    if (!num(d.index)) continue;
    const known = st.decisions.get(d.index);
    if (known) { known.d = d; fillDecision(known.tr, d); continue; }
    const tr = el('tr', { 'data-kind': d.kind, 'data-component': d.component || '', 'data-index': d.index });
    fillDecision(tr, d);
    // Newest first: find the first row with a smaller index (rows arrive oldest first).
    let before = body.firstElementChild;
    while (before && Number(before.dataset.index) > d.index) before = before.nextElementSibling;
    body.insertBefore(tr, before);
    st.decisions.set(d.index, { d, tr });
    st.lastDecision = Math.max(st.lastDecision ?? d.index, d.index);
    if (d.kind === 'shift') st.shifts.add(d.window);
    else if (MOVES.has(d.kind)) st.moves.add(d.window);
  }
  while (st.decisions.size > MAX_DECISIONS) {
    const oldest = Math.min(...st.decisions.keys());
    st.decisions.get(oldest).tr.remove();
    st.decisions.delete(oldest);
  }
  $('decisions-empty').hidden = st.decisions.size > 0;
}

function fillDecision(tr, d) {
  const move = MOVES.has(d.kind);
  const before = num(d.reward_before) && d.reward_before >= 0 ? d.reward_before.toFixed(3) : '–';
  const rewards = move ? `${before} → ${fmtReward(d.reward_after)}`
    : (num(d.reward_before) && d.reward_before >= 0 ? before : '—');
  tr.replaceChildren(
    el('td', { class: 'num' }, d.window ?? '–'),
    el('td', { class: 'num' }, fmtDur(d.at_s)),
    el('td', {}, el('span', { class: 'kind kind-' + slug(d.kind) }, d.kind)),
    el('td', {}, d.component || '—'),
    el('td', { class: 'mono' }, move || d.from || d.to ? `${d.from || '—'} → ${d.to || '—'}` : '—'),
    el('td', {}, d.why || ''),
    el('td', { class: 'num' }, rewards),
    el('td', { class: 'num' }, move && num(d.pause_ms) ? fmtMs(d.pause_ms) : '—'));
  if (d.text) tr.title = d.text;
}

// ---- header --------------------------------------------------------------------------------
function renderHeader() {
  const o = st.overview || {};
  const phase = $('phase');
  phase.textContent = o.learning ? (o.phase || 'learning') : 'learning off';
  phase.className = 'pill' + (o.learning ? (/converged/i.test(o.phase || '') ? ' converged' : '') : ' off');
  const part = (n, w) => (num(n) ? [el('b', {}, n), ' ' + w + (n === 1 ? '' : 's')] : []);
  $('counts').replaceChildren(...[part(o.components, 'component'), part(o.nodes, 'node'), part(o.windows, 'window'),
    num(o.uptime_s) ? ['up ', el('b', {}, fmtDur(o.uptime_s))] : []].filter((p) => p.length).flatMap((p, i) => (i ? [' · ', ...p] : p)));
  $('design').replaceChildren(...designChips(o.design));
}

// ---- placements: a map used by several views -----------------------------------------------
const placementOf = (name) => st.placements.find((c) => c.name === name);
const hostsOf = (c) => (c && Array.isArray(c.homes) ? c.homes : []);

function renderPlacements() {
  const rows = [...st.placements].sort((a, b) => a.name.localeCompare(b.name)).map((c) =>
    el('tr', { 'data-component': c.name },
      el('td', {}, c.name), el('td', { class: 'mono' }, c.placement || '—'),
      el('td', { class: 'mono' }, hostsOf(c).map((h) => h.host).join(', ') || '—')));
  $('placements').tBodies[0].replaceChildren(...rows);
}

// Hosts in display order: origin, the nodes as the API lists them, then any other home.
function hostList() {
  const hosts = new Map([['origin', { address: 'origin', origin: true, connected: true }]]);
  for (const n of (st.nodes && st.nodes.nodes) || []) hosts.set(n.address, { address: n.address, connected: !!n.connected, health: n.health, listed: n.components || [] });
  const extra = new Set();
  for (const c of st.placements) for (const h of hostsOf(c)) if (!hosts.has(h.host)) extra.add(h.host);
  for (const h of [...extra].sort()) hosts.set(h, { address: h, connected: null });
  return [...hosts.values()];
}

function healthBadge(h) {
  if (h.origin) return el('span', { class: 'health self' }, 'origin');
  if (h.connected === null) return el('span', { class: 'health unknown', title: 'a home the node list does not show' }, 'unknown');
  const text = h.health || (h.connected ? 'connected' : 'not connected');
  const tone = text.startsWith('dead') ? 'bad'
    : text.startsWith('left') || text === 'not contacted' ? 'unknown'
    : h.connected ? 'ok' : 'bad';
  return el('span', { class: 'health ' + tone }, text);
}

function componentsOn(host) {
  const out = [];
  for (const c of st.placements) for (const h of hostsOf(c)) if (h.host === host) out.push({ name: c.name, role: h.role, kind: kindOf(c.placement) });
  if (!st.placements.length) {   // placements not known yet: fall back on what /api/nodes lists
    const n = host === 'origin' ? st.nodes && st.nodes.origin : ((st.nodes && st.nodes.nodes) || []).find((x) => x.address === host);
    for (const name of (n && n.components) || []) out.push({ name, role: 'home', kind: 'other' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function renderHosts() {
  const boxes = hostList().map((h) => {
    const comps = componentsOn(h.address);
    const down = (h.health || '').startsWith('dead') ||
      (h.connected === false && h.health !== 'not contacted' && !(h.health || '').startsWith('left'));
    return el('div', { class: 'host' + (down ? ' down' : ''), 'data-host': h.address },
      el('div', { class: 'host-head' }, el('span', { class: 'host-name' }, h.address), healthBadge(h)),
      comps.length ? comps.map((c) => el('span', { class: 'component kind-' + c.kind, 'data-component': c.name, 'data-role': c.role || 'home' },
        c.name, c.role && c.role !== 'home' ? el('span', { class: 'role' }, c.role) : null))
        : el('div', { class: 'empty' }, 'no components'));
  });
  $('hosts').replaceChildren(...boxes);
}

function renderNodes() {
  const rows = hostList().map((h) => el('tr', { 'data-node': h.address, class: h.origin ? 'origin' : null },
    el('td', { class: 'mono' }, h.address), el('td', {}, healthBadge(h)),
    el('td', {}, componentsOn(h.address).map((c) => c.name + (c.role && c.role !== 'home' ? ` (${c.role})` : '')).join(', ') || '—')));
  $('nodes').tBodies[0].replaceChildren(...rows);
}

// ---- component graph -----------------------------------------------------------------------
// Columns by longest call path from the entry, ignoring back edges found by a depth-first walk.
function layerOf(names, edges) {
  const out = new Map();
  for (const e of edges) { const u = e.caller || ''; if (u !== e.callee) (out.get(u) || out.set(u, new Set()).get(u)).add(e.callee); }
  const seen = new Map(), post = [], back = new Set();
  const walk = (u) => {
    seen.set(u, 1);
    for (const v of [...(out.get(u) || [])].sort()) { if (seen.get(v) === 1) back.add(u + '\n' + v); else if (!seen.has(v)) walk(v); }
    seen.set(u, 2); post.push(u);
  };
  walk('');
  for (const n of [...names].sort()) if (!seen.has(n)) walk(n);
  const depth = new Map([['', 0]]);
  for (const n of names) depth.set(n, 1);
  for (const u of post.reverse()) for (const v of out.get(u) || []) {
    if (!back.has(u + '\n' + v)) depth.set(v, Math.max(depth.get(v) || 1, depth.get(u) + 1));
  }
  return depth;
}

function renderGraph() {
  const svg = $('graph');
  const g = st.graph || {};
  const edges = (g.edges || []).filter((e) => e && typeof e.callee === 'string' && e.callee);
  const names = new Set([...(g.components || []), ...st.placements.map((c) => c.name)]);
  for (const e of edges) { if (e.caller) names.add(e.caller); names.add(e.callee); }
  const depth = layerOf(names, edges);
  const cols = [];
  for (const [n, d] of depth) (cols[d] = cols[d] || []).push(n);
  const pos = new Map();
  const info = (n) => {
    if (n === '') return { title: 'program', sub: 'entry calls', kind: 'entry' };
    const c = placementOf(n), p = c ? c.placement : '';
    let sub = p === 'local' ? 'local (origin)' : p || 'placement unknown';
    return { title: n, sub: sub.length > 44 ? sub.slice(0, 43) + '…' : sub, full: p, kind: kindOf(p) };
  };
  const NH = 46, VGAP = 28, HGAP = 160, M = 16;
  let x = M, tallest = 0;
  cols.forEach((col, d) => {
    if (!col) return;
    const bary = (n) => {   // average row of the callers already placed, to reduce crossings
      const ys = edges.filter((e) => e.callee === n && pos.has(e.caller || '')).map((e) => pos.get(e.caller || '').y);
      return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
    };
    col.sort((a, b) => bary(a) - bary(b) || a.localeCompare(b));
    const width = Math.max(110, ...col.map((n) => { const i = info(n); return Math.max(textWidth(i.title, 8), textWidth(i.sub, 6.7)) + 22; }));
    col.forEach((n, r) => pos.set(n, { x, y: r * (NH + VGAP), w: width, d }));
    tallest = Math.max(tallest, col.length * (NH + VGAP) - VGAP);
    x += width + HGAP;
  });
  const kinds = [['local', 'local'], ['on', 'on(host)'], ['replicated', 'replicated'], ['sharded', 'sharded']];
  const note = edges.length ? '' : 'no calls measured yet';
  const legendW = kinds.reduce((a, [, t]) => a + 40 + textWidth(t, 6.5), M) + (note ? 20 + textWidth(note, 6.5) : 0);
  const W = Math.max(x - HGAP + M, legendW + M);
  for (const p of pos.values()) {   // centre each column vertically
    const n = cols[p.d].length, h = n * (NH + VGAP) - VGAP;
    p.y += M + (tallest - h) / 2;
  }
  const maxRate = Math.max(1, ...edges.map((e) => e.calls_per_s || 0));
  const boxes = [...pos.values()];
  const span = (a, b, f) => f(...boxes.filter((p) => p.d >= Math.min(a.d, b.d) && p.d <= Math.max(a.d, b.d)).map((p) => p.y));
  const defs = sv('defs', {}, sv('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto' },
    sv('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a96a8' })));
  let top = M, bottom = M + tallest;
  const fanIn = new Map();
  for (const e of edges) { const a = pos.get(e.caller || ''), b = pos.get(e.callee); if (b.d === a.d + 1) fanIn.set(e.callee, (fanIn.get(e.callee) || 0) + 1); }
  const edgeEls = edges.map((e) => {
    const a = pos.get(e.caller || ''), b = pos.get(e.callee);
    let d, lx, ly, anchor = 'middle';
    if (a === b) {   // a component calling itself: a small loop over its top-right corner
      const sx = a.x + a.w - 24, sy = a.y;
      d = `M${sx},${sy} C${sx},${sy - 34} ${a.x + a.w + 30},${sy + 12} ${a.x + a.w},${sy + 14}`; lx = a.x + a.w + 8; ly = sy - 22;
    } else if (b.d === a.d + 1) {   // next column: an S-curve between facing sides
      const x1 = a.x + a.w, y1 = a.y + NH / 2, x2 = b.x - 1, y2 = b.y + NH / 2, c = (x2 - x1) / 2;
      d = `M${x1},${y1} C${x1 + c},${y1} ${x2 - c},${y2} ${x2},${y2}`;
      // Label above the line's end, where fanning edges are apart, unless the callee has several
      // such inputs: then at the middle.
      if (fanIn.get(e.callee) > 1) { lx = (x1 + x2) / 2; ly = (y1 + y2) / 2 - 6; } else { lx = x2 - 8; ly = y2 - 6; anchor = 'end'; }
    } else {   // skipping columns: an arc over the boxes between; calling back: an arc under them
      const over = b.d > a.d;
      const x1 = a.x + a.w * (over ? 0.7 : 0.5), x2 = b.x + b.w * (over ? 0.3 : 0.5) + (over ? 0 : 10);
      const y1 = over ? a.y : a.y + NH, y2 = over ? b.y - 1 : b.y + NH + 1;
      const c = over ? span(a, b, Math.min) - 44 : span(a, b, Math.max) + NH + 44;
      d = `M${x1},${y1} C${x1},${c} ${x2},${c} ${x2},${y2}`; lx = (x1 + x2) / 2; ly = (y1 + 6 * c + y2) / 8 + (over ? -5 : 14);
    }
    top = Math.min(top, ly - 14); bottom = Math.max(bottom, ly + 4);
    const width = 1.2 + 3 * Math.log10(1 + (e.calls_per_s || 0)) / Math.log10(1 + maxRate);
    const label = `${fmtRate(e.calls_per_s)}/s · ${fmtMs(e.mean_ms)} ms`;
    return sv('g', { class: 'edge', 'data-caller': e.caller || '', 'data-callee': e.callee },
      sv('title', {}, `${e.caller || 'program'} → ${e.callee}: ${e.calls ?? '?'} calls, ${label}`),
      sv('path', { d, 'stroke-width': width.toFixed(2), 'marker-end': 'url(#arrow)' }),
      sv('text', { x: lx, y: ly, 'text-anchor': anchor }, label));
  });
  top = Math.min(0, top - 6);
  const H = bottom + 44 - top;
  const nodeEls = [...pos.entries()].map(([n, p]) => {
    const i = info(n);
    return sv('g', { class: n === '' ? 'component entry' : 'component kind-' + i.kind, 'data-component': n, transform: `translate(${p.x},${p.y})` },
      sv('title', {}, n === '' ? 'the program\'s own calls into its components' : `${n}: ${i.full || 'placement unknown'}`),
      sv('rect', { width: p.w, height: NH, rx: 6 }),
      sv('text', { class: 'name', x: 11, y: 19 }, i.title),
      sv('text', { class: 'where', x: 11, y: 36 }, i.sub));
  });
  let lx = M;
  const legend = sv('g', { class: 'legend', transform: `translate(0,${bottom + 30})` },
    kinds.map(([k, t]) => {
      const item = sv('g', { class: 'kind-' + k, transform: `translate(${lx},0)` },
        sv('rect', { width: 12, height: 12, y: -10, rx: 2 }), sv('text', { x: 17, y: 0 }, t));
      lx += 40 + textWidth(t, 6.5);
      return item;
    }),
    note ? sv('text', { x: lx + 20, y: 0, class: 'note' }, note) : null);
  svg.setAttribute('viewBox', `0 ${top} ${W} ${H}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H);
  svg.replaceChildren(defs, ...edgeEls, ...nodeEls, legend);
}

// ---- learner -------------------------------------------------------------------------------
function renderLearner() {
  const s = st.learner;
  $('learner-off').hidden = !!s;
  if (!s) { $('learner-flags').replaceChildren(); $('learner-stats').replaceChildren(); return; }
  const flag = (name, on) => el('span', { class: 'flag' + (on ? ' on' : ''), 'data-flag': name }, name);
  $('learner-flags').replaceChildren(flag('learning', s.learning), flag('converged', s.converged), flag('paused', s.paused),
    flag('frozen', s.frozen), ...(s.error ? [el('span', { class: 'flag error', 'data-flag': 'error' }, 'error: ' + s.error)] : []));
  const stat = (field, label, value, cls) => el('div', { class: 'stat' + (cls ? ' ' + cls : '') },
    el('dt', {}, label), el('dd', { 'data-field': field }, value));
  const count = (v) => (num(v) ? String(v) : '–');
  $('learner-stats').replaceChildren(
    stat('phase', 'phase', s.phase || '—'),
    stat('incumbent_reward', 'incumbent reward', fmtReward(s.incumbent_reward)),
    stat('windows', 'windows', count(s.windows)),
    stat('exploring_windows', 'exploring windows', count(s.exploring_windows)),
    stat('shifts', 'shifts detected', count(s.shifts)),
    stat('design_space_size', 'design space size', s.design_space_size ?? '–'),
    stat('cut_short_windows', 'cut-short windows', count(s.cut_short_windows)),
    stat('failed_moves', 'failed moves', count(s.failed_moves)),
    stat('seconds', 'time learning', fmtDur(s.seconds)),
    stat('exploring_seconds', 'time exploring', fmtDur(s.exploring_seconds)),
    stat('moving_seconds', 'time moving', fmtDur(s.moving_seconds)),
    stat('running', 'running', designChips(s.running), 'design-row'),
    stat('incumbent', 'incumbent', designChips(s.incumbent), 'design-row'),
    stat('best', 'best', designChips(s.best), 'design-row'));
}

// y scales: each gives frac(v) in 0..1 and labelled ticks.
const rewardScale = { frac: (v) => Math.min(1, Math.max(0, v)), ticks: [0, 0.25, 0.5, 0.75, 1].map((v) => [v, String(v)]) };
function logScale(values) {
  const pos = values.filter((v) => num(v) && v > 0);
  const minV = pos.length ? Math.min(...pos) : 0.1, maxV = pos.length ? Math.max(...pos) : 10;
  const steps = (ms) => { const out = []; for (let k = -4; k <= 6; k++) for (const m of ms) out.push(+(m * 10 ** k).toPrecision(2)); return out; };
  const all = steps([1, 2, 5]);
  const lo = [...all].reverse().find((v) => v <= minV) ?? all[0];
  let hi = all.find((v) => v >= maxV) ?? all[all.length - 1];
  if (hi <= lo) hi = all[all.indexOf(lo) + 1];
  let ticks = all.filter((v) => v >= lo && v <= hi);
  if (ticks.length > 9) ticks = ticks.filter((v) => String(v).replace(/[0.]/g, '')[0] === '1' || v === lo || v === hi);
  const a = Math.log(lo), b = Math.log(hi);
  return { frac: (v) => (num(v) && v > 0 ? Math.min(1, Math.max(0, (Math.log(v) - a) / (b - a))) : NaN),
    ticks: ticks.map((v) => [v, String(v)]) };
}

function niceStep(range, count) {
  const raw = Math.max(1, range / count), p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

function renderChart() {
  const svg = $('learner-chart');
  const W = Math.max(560, Math.floor(svg.parentNode.clientWidth || 900));
  const ws = st.windows;
  svg.style.display = st.learner || ws.length ? '' : 'none';
  $('chart-readout').hidden = !ws.length;
  if (!ws.length) {
    svg.setAttribute('viewBox', `0 0 ${W} 60`); svg.setAttribute('width', W); svg.setAttribute('height', 60);
    svg.replaceChildren(sv('text', { x: W / 2, y: 34, 'text-anchor': 'middle' }, 'No measured windows yet.'));
    return;
  }
  const PH = 210, GAP = 14, H = 2 * PH + GAP, L = 56, R = 14;
  const i0 = ws[0].index, i1 = ws[ws.length - 1].index, span = i1 - i0 + 1;
  const x = (i) => L + ((i - i0 + 0.5) / span) * (W - L - R);
  const half = (W - L - R) / span / 2;
  const latency = logScale(ws.flatMap((w) => [w.mean_ms, w.p95_ms]));
  const panels = [
    { top: 0, title: 'Reward per window', scale: rewardScale, series: [['reward', 's-reward']],
      legend: [['line', 's-reward', 'reward'], ['band', 'probe', 'probe window'], ['vline', 'transition', 'move'], ['vline', 'shift', 'shift']] },
    { top: PH + GAP, title: 'Entry latency, ms (log scale)', scale: latency, series: [['mean_ms', 's-mean'], ['p95_ms', 's-p95']],
      legend: [['line', 's-mean', 'mean'], ['line', 's-p95', 'p95'], ['band', 'probe', 'probe window'], ['vline', 'transition', 'move'], ['vline', 'shift', 'shift']] },
  ];
  const step = niceStep(span, Math.max(2, Math.floor((W - L - R) / 70)));
  const parts = panels.map((p) => {
    const T = p.top + 30, B = p.top + PH - 24;
    const y = (v) => B - p.scale.frac(v) * (B - T);
    const g = sv('g', { class: 'panel' });
    g.append(sv('text', { class: 'panel-title', x: L, y: p.top + 15 }, p.title));
    const items = p.legend.map(([type, cls, label]) => ({ type, cls, label, w: 26 + textWidth(label, 6.2) + 14 }));
    let lx = W - R - items.reduce((a, it) => a + it.w, 0);
    for (const it of items) {
      const swatch = it.type === 'band' ? sv('rect', { class: 'key-' + it.cls, x: lx, y: p.top + 5, width: 18, height: 12 })
        : it.type === 'vline' ? sv('line', { class: 'key-' + it.cls, x1: lx + 9, x2: lx + 9, y1: p.top + 3, y2: p.top + 19 })
        : sv('line', { class: 'series ' + it.cls, x1: lx, x2: lx + 18, y1: p.top + 11, y2: p.top + 11, 'stroke-width': 2 });
      g.append(swatch, sv('text', { x: lx + 24, y: p.top + 15 }, it.label));
      lx += it.w;
    }
    for (const [v, label] of p.scale.ticks) {
      g.append(sv('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
        sv('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, label));
    }
    for (let k = 0; k < ws.length; k++) {   // probe windows, merged into bands
      if (!ws[k].probe) continue;
      let e = k;
      while (e + 1 < ws.length && ws[e + 1].probe && ws[e + 1].index === ws[e].index + 1) e++;
      g.append(sv('rect', { class: 'probe', 'data-first': ws[k].index, 'data-last': ws[e].index, x: x(ws[k].index) - half, y: T, width: x(ws[e].index) - x(ws[k].index) + 2 * half, height: B - T }));
      k = e;
    }
    for (const [set, cls] of [[st.moves, 'transition'], [st.shifts, 'shift']]) {
      const at = [...set].filter((i) => i >= i0 && i <= i1).sort((a, b) => a - b);
      // Many moves would paint a wall: fade the lines as they crowd.
      const marks = sv('g', { opacity: Math.min(1, Math.max(0.25, (W - L - R) / (8 * at.length || 1))).toFixed(2) });
      for (const i of at) marks.append(sv('line', { class: cls, 'data-window': i, x1: x(i), x2: x(i), y1: T, y2: B }));
      g.append(marks);
    }
    g.append(sv('line', { class: 'axis', x1: L, x2: W - R, y1: B, y2: B }), sv('line', { class: 'axis', x1: L, x2: L, y1: T, y2: B }));
    for (let t = Math.ceil(i0 / step) * step; t <= i1; t += step) {
      g.append(sv('line', { class: 'axis', x1: x(t), x2: x(t), y1: B, y2: B + 4 }),
        sv('text', { x: x(t), y: B + 16, 'text-anchor': 'middle' }, t));
    }
    g.append(sv('text', { x: L - 6, y: B + 16, 'text-anchor': 'end' }, 'window'));
    for (const [field, cls] of p.series) {
      let d = '', pen = 'M';
      for (const w of ws) {
        const v = y(w[field]);
        if (!num(w[field]) || !num(v) || (field === 'reward' && w.reward < 0)) { pen = 'M'; continue; }
        d += `${pen}${x(w.index).toFixed(1)},${v.toFixed(1)}`; pen = 'L';
      }
      g.append(sv('path', { class: 'series ' + cls, d }));
      if (ws.length <= 120) for (const w of ws) if (num(w[field]) && num(y(w[field]))) g.append(sv('circle', { class: 'dot ' + cls, cx: x(w.index), cy: y(w[field]), r: 2.2 }));
    }
    return g;
  });
  const hover = sv('line', { class: 'hover', y1: 30, y2: H - 24, x1: -10, x2: -10 });
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`); svg.setAttribute('width', W); svg.setAttribute('height', H);
  svg.replaceChildren(...parts, hover);
  const point = (idx) => {
    const w = ws.find((v) => v.index === idx);
    if (!w) return;
    st.hover = idx;
    hover.setAttribute('x1', x(idx)); hover.setAttribute('x2', x(idx));
    $('chart-readout').textContent = [`window ${w.index}`, `reward ${fmtReward(w.reward)}`, `${fmtRate(w.requests_per_s)} req/s`,
      `mean ${fmtMs(w.mean_ms)} ms`, `p95 ${fmtMs(w.p95_ms)} ms`, `p99 ${fmtMs(w.p99_ms)} ms`, w.errors ? `${plural(w.errors, 'error')}` : null,
      w.probe ? 'probe' : null, w.cut_short ? 'cut short' : null, w.phase || null, w.design || null].filter(Boolean).join(' · ');
  };
  svg.onmousemove = (ev) => {
    const r = svg.getBoundingClientRect(), px = ((ev.clientX - r.left) * W) / r.width;
    point(Math.round(i0 - 0.5 + ((px - L) / (W - L - R)) * span));
  };
  if (st.hover !== undefined) point(st.hover);
}

let resizeTimer = null;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(renderChart, 150); });
const start = () => { renderGraph(); renderHosts(); renderChart(); loop(); };
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
