/**
 * The dashboard's page and script, served by server.ts. Plain DOM and Vega-Lite (compiled in the
 * browser with the vega-lite build, drawn with vega as SVG); no other library. The script polls
 * `/api/runs` every 2 s and, on the curves tab, `/api/curves` for the selected runs, and feeds
 * new points into the open chart without redrawing it from scratch.
 * @module
 */

/** The page. */
export const APP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gaf-lab runs</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#24324a;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header .muted{color:#c8d0e0}
nav{display:flex;gap:4px;padding:8px 16px 0;border-bottom:1px solid #ccc;background:#fff}
nav button{border:1px solid #ccc;border-bottom:none;background:#eee;padding:6px 12px;cursor:pointer;border-radius:4px 4px 0 0}
nav button.active{background:#fff;font-weight:600}
main{padding:12px 16px}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;white-space:nowrap}
th{background:#f0f2f5;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px}
.s-running{background:#2b6cb0}.s-completed{background:#2f855a}.s-diverged{background:#c05621}.s-failed,.s-unreadable{background:#c53030}
.s-interrupted{background:#718096}.s-stale{background:#805ad5}.s-pending{background:#cbd5e0;color:#222}
.bar{display:inline-block;width:80px;height:8px;background:#e2e8f0;vertical-align:middle;margin-right:4px}.bar i{display:block;height:8px;background:#3182ce}
.problem{color:#c53030}.controls{margin:0 0 8px;display:flex;gap:12px;flex-wrap:wrap;align-items:center}
.gallery{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #ddd;padding:8px;width:360px}.card img{max-width:100%}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;font-size:12px;margin:4px 0}.card dt{color:#666}
.hidden{display:none}#compare h3{margin:16px 0 4px}
</style></head>
<body>
<header><h1>gaf-lab</h1><span id="roots" class="muted"></span><span id="updated" class="muted"></span><span id="problems" class="problem"></span></header>
<nav><button data-tab="runs" class="active">Runs</button><button data-tab="curves">Curves</button><button data-tab="compare">Compare</button><button data-tab="sweeps">Sweeps</button><button data-tab="figures">Figures</button></nav>
<main>
<section id="tab-runs"><div class="controls"><label>filter <input id="filter" placeholder="run id, optimizer, status"></label>
<span id="counts"></span><button id="select-visible">select shown</button><button id="select-none">select none</button></div>
<table id="runs"><thead><tr><th></th><th>status</th><th>run</th><th>optimizer</th><th>seed</th><th>progress</th><th>ETA</th><th>backend</th><th>final</th><th>best</th><th>commit</th><th>note</th></tr></thead><tbody></tbody></table></section>
<section id="tab-curves" class="hidden"><div class="controls"><label>colour by <select id="group"><option value="optimizer">optimizer</option><option value="seed">seed</option><option value="run">run</option></select></label>
<span id="curve-note"></span></div><div id="curves"></div></section>
<section id="tab-compare" class="hidden"><div class="controls"><label>folder <select id="cmp-root"></select></label>
<label>metric <select id="cmp-metric"><option>testTop1</option><option>testTop5</option><option>testLoss</option><option>trainLoss</option><option>trainTop1</option><option>valTop1</option><option>valLoss</option></select></label>
<span id="cmp-note"></span></div><div id="compare"></div></section>
<section id="tab-sweeps" class="hidden"><div id="sweeps"></div></section>
<section id="tab-figures" class="hidden"><div id="figures" class="gallery"></div></section>
</main>
<script src="/app.js" defer></script><script src="/vendor/vega.js" defer></script><script src="/vendor/vega-lite.js" defer></script>
</body></html>
`;

/** The page's script (plain ES2017; no template literals, so that it can live in this string). */
export const APP_JS = String.raw`
'use strict';
var state = { runs: [], byKey: {}, selected: {}, tab: 'runs', view: null, viewKey: '', data: null, roots: [] };
function $(id) { return document.getElementById(id); }
function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
function pct(v) { return typeof v === 'number' ? (100 * v).toFixed(2) + '%' : ''; }
function num(v, d) { return typeof v === 'number' ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(d == null ? 4 : d)) : ''; }
function dur(s) { if (typeof s !== 'number' || !isFinite(s)) return ''; s = Math.round(s); if (s < 60) return s + ' s'; if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s'; return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'; }
function fileUrl(root, rel) { return '/files/' + root + '/' + rel.split(/[\\/]/).filter(Boolean).map(encodeURIComponent).join('/'); }
function metricText(metric, v) { return /loss/i.test(metric) ? num(v) : pct(v); }
function getJson(url) { return fetch(url, { cache: 'no-store' }).then(function (r) { if (!r.ok) throw new Error(url + ': HTTP ' + r.status); return r.json(); }); }

function selectedKeys() { return Object.keys(state.selected).filter(function (k) { return state.selected[k] && state.byKey[k]; }); }
function matches(r, f) { if (!f) return true; f = f.toLowerCase(); return (r.runId + ' ' + r.optimizer + ' ' + r.status + ' ' + r.rel).toLowerCase().indexOf(f) >= 0; }

function renderRuns() {
  var f = $('filter').value.trim();
  var shown = state.runs.filter(function (r) { return matches(r, f); });
  var html = shown.map(function (r) {
    var note = r.problem ? '<span class="problem">' + esc(r.problem) + '</span>' : esc(r.message || '');
    return '<tr data-key="' + esc(r.key) + '" data-status="' + esc(r.status) + '">' +
      '<td><input type="checkbox" class="sel"' + (state.selected[r.key] ? ' checked' : '') + '></td>' +
      '<td><span class="status s-' + esc(r.status) + '">' + esc(r.status) + '</span></td>' +
      '<td><a href="' + fileUrl(r.root, r.rel) + '/" title="' + esc(r.rel) + '">' + esc(r.runId) + '</a></td>' +
      '<td>' + esc(r.optimizer) + '</td><td class="num">' + esc(r.seed) + '</td>' +
      '<td><span class="bar"><i style="width:' + Math.round(100 * r.progress) + '%"></i></span>' + Math.round(100 * r.progress) + '%' +
      (r.epochs ? ' (' + r.epochsDone + '/' + r.epochs + ' ep)' : '') + '</td>' +
      '<td class="num">' + dur(r.etaSeconds) + '</td><td>' + esc(r.backend) + '</td>' +
      '<td class="num" data-value="' + esc(r.final) + '">' + metricText(r.metric, r.final) + '</td>' +
      '<td class="num">' + metricText(r.metric, r.best) + '</td>' +
      '<td>' + esc(r.gitCommit ? r.gitCommit.slice(0, 10) : '') + (r.gitDirty ? ' <b title="uncommitted changes">dirty</b>' : '') + '</td>' +
      '<td style="white-space:normal;max-width:420px">' + note + '</td></tr>';
  }).join('');
  $('runs').tBodies[0].innerHTML = html;
  var counts = {};
  state.runs.forEach(function (r) { counts[r.status] = (counts[r.status] || 0) + 1; });
  $('counts').textContent = state.runs.length + ' runs: ' + Object.keys(counts).map(function (k) { return counts[k] + ' ' + k; }).join(', ') + ' · ' + selectedKeys().length + ' selected';
}

function renderSweeps(sweeps) {
  $('sweeps').innerHTML = sweeps.length ? sweeps.map(function (s) {
    if (s.problem) return '<h3>' + esc(s.rel || '.') + '</h3><p class="problem">' + esc(s.problem) + '</p>';
    var axes = s.axes.length ? s.axes : Object.keys((s.cells[0] || {}).point || {});
    var head = '<tr>' + axes.map(function (a) { return '<th>' + esc(a) + '</th>'; }).join('') + '<th>state</th><th>progress</th><th>final</th><th>run</th></tr>';
    var rows = s.cells.map(function (c) {
      return '<tr>' + axes.map(function (a) { var v = c.point[a]; return '<td>' + esc(typeof v === 'object' ? JSON.stringify(v) : v) + '</td>'; }).join('') +
        '<td><span class="status s-' + esc(c.status) + '">' + esc(c.status) + '</span></td><td class="num">' + Math.round(100 * c.progress) + '%</td>' +
        '<td class="num">' + pct(c.final) + '</td><td>' + esc(c.runId) + '</td></tr>';
    }).join('');
    var done = s.cells.filter(function (c) { return c.status === 'completed' || c.status === 'diverged'; }).length;
    return '<h3>' + esc(s.name || s.rel || '.') + ' <small>(' + done + '/' + s.cells.length + ' ended)</small></h3><table class="sweep">' + head + rows + '</table>';
  }).join('') : '<p>No sweep folder (sweep.json) under the served folders.</p>';
}

function renderFigures(figs) {
  $('figures').innerHTML = figs.length ? figs.map(function (f) {
    return '<div class="card">' + (f.image ? '<img loading="lazy" src="' + fileUrl(f.root, f.image) + '" alt="' + esc(f.title || f.figure) + '">' : '<p class="problem">image missing</p>') +
      '<b>' + esc(f.title || f.figure || f.provenance) + '</b><dl>' +
      '<dt>created</dt><dd>' + esc(f.createdAt) + '</dd><dt>commit</dt><dd>' + esc(f.gitCommit ? f.gitCommit.slice(0, 10) : '?') + (f.gitDirty ? ' (dirty)' : '') + '</dd>' +
      '<dt>runs</dt><dd>' + esc(f.runCount) + (f.source ? ' from ' + esc(f.source) : '') + '</dd><dt>command</dt><dd>' + esc(f.command) + '</dd></dl>' +
      (f.problem ? '<p class="problem">' + esc(f.problem) + '</p>' : '') + '<a href="' + fileUrl(f.root, f.provenance) + '">provenance</a></div>';
  }).join('') : '<p>No figures (a PNG/SVG with its .provenance.json) under the served folders.</p>';
}

function pollRuns() {
  return getJson('/api/runs').then(function (d) {
    state.runs = d.runs; state.byKey = {}; state.roots = d.roots;
    d.runs.forEach(function (r) { state.byKey[r.key] = r; });
    document.body.setAttribute('data-runs', String(d.runs.length));
    $('roots').textContent = d.roots.map(function (r) { return r.given; }).join(', ');
    $('updated').textContent = 'updated ' + new Date(d.time).toLocaleTimeString();
    $('problems').textContent = d.problems.join('; ');
    var sel = $('cmp-root');
    if (sel.options.length !== d.roots.length) sel.innerHTML = d.roots.map(function (r) { return '<option value="' + r.index + '">' + esc(r.given) + '</option>'; }).join('');
    if (state.tab === 'runs') renderRuns();
    if (state.tab === 'sweeps') renderSweeps(d.sweeps);
    if (state.tab === 'figures') renderFigures(d.figures);
    state.lastRuns = d;
  }).catch(function (e) { $('problems').textContent = 'server unreachable: ' + e.message; });
}

function groupOf(r) { var g = $('group').value; return g === 'seed' ? 'seed ' + r.seed : g === 'run' ? r.runId : r.optimizer; }

function curveKeys() {
  var keys = selectedKeys();
  if (keys.length) return keys;
  // Nothing selected: the running runs, else the first few.
  keys = state.runs.filter(function (r) { return r.status === 'running'; }).map(function (r) { return r.key; });
  return (keys.length ? keys : state.runs.map(function (r) { return r.key; })).slice(0, 12);
}

function chartSpec() {
  var color = { field: 'group', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } };
  var detail = { field: 'run', type: 'nominal' };
  function panel(data, x, y, title, scale) {
    return { width: 420, height: 220, title: title, data: { name: data }, mark: { type: 'line', clip: true },
      transform: [{ filter: 'isValid(datum.' + y + ')' }],
      encoding: { x: { field: x, type: 'quantitative', axis: { tickMinStep: 1 } }, y: { field: y, type: 'quantitative', title: title, scale: scale || { zero: false } }, color: color, detail: detail, tooltip: [{ field: 'run' }, { field: x }, { field: y }] } };
  }
  // Axes grow with the data, so the layout is recomputed on every change ('resize').
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', autosize: { type: 'pad', resize: true }, config: { view: { stroke: '#ccc' } },
    vconcat: [
      { hconcat: [panel('steps', 'step', 'loss', 'training loss (per step)', { type: 'log' }), panel('epochs', 'epoch', 'testTop1', 'test top-1 (per epoch)')] },
      { hconcat: [panel('steps', 'step', 'lr', 'learning rate'), panel('steps', 'step', 'rawL2', 'raw gradient norm', { type: 'log' })] },
      { hconcat: [panel('steps', 'step', 'actL2', 'activated gradient norm', { type: 'log' }), panel('steps', 'step', 'enlarged', 'fraction enlarged by the GAF')] }
    ] };
}

function curveData(d) {
  var steps = [], epochs = [];
  d.runs.forEach(function (c) {
    var r = state.byKey[c.key]; if (!r) return;
    var g = groupOf(r);
    c.steps.forEach(function (p) { steps.push({ run: r.runId, group: g, step: p.step, loss: p.loss, lr: p.lr, rawL2: p.rawL2, actL2: p.actL2, enlarged: p.enlarged }); });
    c.epochs.forEach(function (p) { epochs.push({ run: r.runId, group: g, epoch: p.epoch, testTop1: p.testTop1, trainLoss: p.trainLoss }); });
  });
  return { steps: steps, epochs: epochs };
}

/** Resolves once the vega scripts (deferred, after this one, so the table comes first) have run. */
function vegaReady() {
  if (typeof vega !== 'undefined' && typeof vegaLite !== 'undefined') return Promise.resolve();
  if (document.readyState === 'complete') return Promise.reject(new Error('the vega scripts did not load (is vega installed? npm ci)'));
  return new Promise(function (resolve) { window.addEventListener('load', resolve, { once: true }); }).then(vegaReady);
}

function pollCurves() {
  return vegaReady().then(drawCurves, function (e) { $('curve-note').textContent = e.message; });
}

function drawCurves() {
  var keys = curveKeys();
  var viewKey = keys.join(',') + '|' + $('group').value;
  return getJson('/api/curves?keys=' + encodeURIComponent(keys.join(','))).then(function (d) {
    var data = curveData(d);
    var el = $('curves');
    el.setAttribute('data-step-points', String(data.steps.length));
    el.setAttribute('data-epoch-points', String(data.epochs.length));
    el.setAttribute('data-view-key', viewKey);
    $('curve-note').textContent = keys.length + ' runs, ' + data.steps.length + ' step points' + (selectedKeys().length ? '' : ' (nothing selected in Runs: showing ' + (state.runs.some(function (r) { return r.status === 'running'; }) ? 'the running runs' : 'the first runs') + ')');
    if (!state.view || state.viewKey !== viewKey) {
      if (state.view) state.view.finalize();
      var spec = vegaLite.compile(chartSpec()).spec;
      state.view = new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true });
      state.viewKey = viewKey;
    }
    var v = state.view;
    v.change('steps', vega.changeset().remove(vega.truthy).insert(data.steps));
    v.change('epochs', vega.changeset().remove(vega.truthy).insert(data.epochs));
    return v.runAsync();
  }).catch(function (e) { $('curve-note').textContent = 'could not draw: ' + e.message; });
}

function renderTable(rows, cls) {
  if (!rows || !rows.length) return '<p>(none)</p>';
  var cols = Object.keys(rows[0]);
  return '<table class="' + cls + '"><thead><tr>' + cols.map(function (c) { return '<th>' + esc(c) + '</th>'; }).join('') + '</tr></thead><tbody>' +
    rows.map(function (r) { return '<tr>' + cols.map(function (c) { var v = r[c]; var t = typeof v === 'number' ? num(v) : (v === null ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v)));
      return '<td data-col="' + esc(c) + '" data-value="' + esc(v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : v) + '"' + (typeof v === 'number' ? ' class="num"' : '') + '>' + esc(t) + '</td>'; }).join('') + '</tr>'; }).join('') +
    '</tbody></table>';
}

function pollCompare() {
  var keys = selectedKeys();
  var root = $('cmp-root').value || '0';
  var metric = $('cmp-metric').value;
  var own = keys.filter(function (k) { return k.split(':')[0] === root; });
  $('cmp-note').textContent = own.length ? own.length + ' selected runs' : 'all runs of the folder (select runs in the Runs tab to narrow)';
  return getJson('/api/compare?root=' + root + '&metric=' + encodeURIComponent(metric) + (own.length ? '&keys=' + encodeURIComponent(own.join(',')) : '')).then(function (d) {
    if (d.error) { $('compare').innerHTML = '<p class="problem">' + esc(d.error) + '</p>'; return; }
    $('compare').innerHTML = '<p>' + d.runCount + ' runs, metric ' + esc(d.metric) + '; grouped by ' + esc(d.by.join(', ')) + '</p>' +
      '<h3>Summary across seeds (mean ± 95% CI)</h3>' + renderTable(d.summary, 'summary') +
      '<h3>SGD+GAF vs SGD</h3><p>' + esc(d.comparisonNote) + '</p>' + (d.comparison ? renderTable(d.comparison, 'comparison') : '');
    $('compare').setAttribute('data-loaded', String(Date.now()));
  }).catch(function (e) { $('compare').innerHTML = '<p class="problem">' + esc(e.message) + '</p>'; });
}

function showTab(tab) {
  state.tab = tab;
  Array.prototype.forEach.call(document.querySelectorAll('nav button'), function (b) { b.classList.toggle('active', b.getAttribute('data-tab') === tab); });
  ['runs', 'curves', 'compare', 'sweeps', 'figures'].forEach(function (t) { $('tab-' + t).classList.toggle('hidden', t !== tab); });
  location.hash = tab;
  if (tab === 'curves') pollCurves();
  if (tab === 'compare') pollCompare();
  if (state.lastRuns) { if (tab === 'runs') renderRuns(); if (tab === 'sweeps') renderSweeps(state.lastRuns.sweeps); if (tab === 'figures') renderFigures(state.lastRuns.figures); }
}

document.querySelector('nav').addEventListener('click', function (e) { var t = e.target.getAttribute && e.target.getAttribute('data-tab'); if (t) showTab(t); });
$('runs').addEventListener('change', function (e) { if (e.target.classList.contains('sel')) { var k = e.target.closest('tr').getAttribute('data-key'); state.selected[k] = e.target.checked; renderRuns(); } });
$('filter').addEventListener('input', renderRuns);
$('select-visible').addEventListener('click', function () { var f = $('filter').value.trim(); state.runs.forEach(function (r) { if (matches(r, f)) state.selected[r.key] = true; }); renderRuns(); });
$('select-none').addEventListener('click', function () { state.selected = {}; renderRuns(); });
$('group').addEventListener('change', pollCurves);
$('cmp-root').addEventListener('change', pollCompare);
$('cmp-metric').addEventListener('change', pollCompare);

function loop() {
  pollRuns().then(function () { return state.tab === 'curves' ? pollCurves() : null; }).then(function () { setTimeout(loop, 2000); }, function () { setTimeout(loop, 2000); });
}
pollRuns().then(function () { showTab((location.hash || '#runs').slice(1) || 'runs'); document.body.setAttribute('data-ready', '1'); setTimeout(loop, 2000); });
`;
