// The explorer's page: hash routes (#/ the network, #/job/<id>, #/game/<id>), each view read from the JSON
// API and read again whenever the server announces a new block (server-sent events, /api/events), with a
// slow poll as a fallback. Plots are uPlot's. No build step, no framework.
"use strict";

const $main = document.getElementById("main");
const state = { route: null, timer: null, clockTimer: null, chart: null, gasChart: null, lastBlock: null };

// ---------- formatting
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
function eth(wei) {
  if (wei === undefined || wei === null) return "—";
  const w = BigInt(wei), neg = w < 0n, a = neg ? -w : w, unit = 10n ** 18n;
  if (a > 0n && a < 10n ** 12n) return `${neg ? "-" : ""}${a.toLocaleString("en-US")} wei`; // below what 6 decimals of ETH show
  const whole = a / unit, frac = (a % unit).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""} ETH`;
}
const short = (a) => esc(a && a.length > 14 ? `${a.slice(0, 8)}…${a.slice(-6)}` : a);
const addr = (a) => (a ? `<span class="mono" title="${esc(a)}">${short(a)}</span>` : '<span class="muted">—</span>');
const root = (r) => `<span class="mono" title="${esc(r)}">${esc(r.slice(0, 12))}…${esc(r.slice(-8))}</span>`;
const badge = (s, cls = s) => `<span class="badge ${esc(cls)}">${esc(s)}</span>`;
const num = (n) => Number(n).toLocaleString("en-US");
const pct = (x) => `${(x * 100).toFixed(2)}%`;
function dur(s) {
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}
const when = (t) => (Number(t) > 0 ? new Date(Number(t) * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC") : "—");

async function api(path) {
  const r = await fetch(path, { cache: "no-store" });
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

// ---------- routing
function parseRoute() {
  const h = location.hash.replace(/^#/, "") || "/";
  let m = /^\/job\/([^/]+)$/.exec(h);
  if (m) return { kind: "job", id: decodeURIComponent(m[1]) };
  m = /^\/game\/([^/]+)$/.exec(h);
  if (m) return { kind: "game", id: decodeURIComponent(m[1]) };
  return { kind: "network" };
}

function crumbs(r, extra) {
  const parts = ['<a href="#/">network</a>'];
  if (r.kind === "job") parts.push(`/ job ${esc(r.id)}`);
  if (r.kind === "game") parts.push(extra ? `/ <a href="#/job/${esc(extra)}">job ${esc(extra)}</a> / game ${esc(r.id)}` : `/ game ${esc(r.id)}`);
  document.getElementById("crumbs").innerHTML = parts.join(" ");
}

async function render() {
  const r = parseRoute();
  const changed = JSON.stringify(r) !== JSON.stringify(state.route);
  state.route = r;
  try {
    if (r.kind === "network") await renderNetwork(changed);
    else if (r.kind === "job") await renderJob(r.id, changed);
    else await renderGame(r.id, changed);
  } catch (e) {
    crumbs(r);
    $main.innerHTML = `<h1>Not available</h1><p class="error" data-testid="error">${esc(e.message)}</p><p><a href="#/">back to the network</a></p>`;
  }
}

function setHead(n) {
  if (!n.head) return;
  state.lastBlock = n.head.block;
  document.getElementById("head").innerHTML = `block <b data-testid="head-block">${num(n.head.block)}</b> · chain time ${esc(when(n.head.timestamp))}`;
  const dot = document.getElementById("live-dot");
  dot.className = n.lastError ? "dot err" : "dot on";
  dot.title = n.lastError ? `last read failed: ${n.lastError}` : "live";
}

// ---------- network
async function renderNetwork() {
  const n = await api("/api/network");
  setHead(n);
  crumbs({ kind: "network" });
  const total = n.jobs.length;
  const states = Object.entries(n.jobsByState).map(([s, c]) => `<span class="badge ${esc(s)}" data-testid="state-${esc(s)}">${esc(s)} <b>${c}</b></span>`).join("");
  const jobRows = n.jobs.map((j) => `<tr data-testid="job-row" data-job="${esc(j.id)}">
      <td><a href="#/job/${esc(j.id)}">#${esc(j.id)}</a></td><td>${badge(j.status)}</td><td>${addr(j.client)}</td><td>${addr(j.solver)}</td>
      <td class="num">${eth(j.escrow)}</td><td class="num">${j.price ? eth(j.price) : "—"}</td><td class="num">${j.bond ? eth(j.bond) : "—"}</td>
      <td class="num">${num(j.steps)}</td><td class="num">${j.disputes}${j.disputesOpen ? ` <span class="badge Assigned">${j.disputesOpen} open</span>` : ""}</td></tr>`).join("");
  const solverRows = n.solvers.map((s) => `<tr><td>${addr(s.address)}</td><td class="num">${s.bids}</td><td class="num">${s.jobsWon}</td><td class="num">${s.finalized}</td><td class="num">${s.failed}</td><td class="num">${s.slashed}</td><td class="num">${eth(s.credited)}</td></tr>`).join("");
  const verifierRows = n.verifiers.map((v) => `<tr><td>${addr(v.address)}</td><td class="num">${v.attestations}</td><td class="num">${v.intervalsAttested}</td><td class="num">${v.challenges}</td><td class="num">${v.won}</td><td class="num">${v.lost}</td><td class="num">${eth(v.credited)}</td></tr>`).join("");
  $main.innerHTML = `
    <h1>Network <span class="muted small mono">market ${esc(n.market)}</span></h1>
    ${n.lastError ? `<p class="error">The last chain read failed (retrying): ${esc(n.lastError)}</p>` : ""}
    <div class="cards">
      <div class="card"><div class="k">Jobs</div><div class="v" data-testid="jobs-total">${total}</div><div class="s">posted on this market</div></div>
      <div class="card"><div class="k">Disputes open</div><div class="v" data-testid="disputes-open">${n.disputesOpen}</div><div class="s">${n.disputesTotal} in all</div></div>
      <div class="card"><div class="k">Escrow held</div><div class="v" data-testid="escrow-held">${eth(n.escrowHeld)}</div><div class="s">open, assigned and committed jobs</div></div>
      <div class="card"><div class="k">Bonds held</div><div class="v">${eth(BigInt(n.solverBondsHeld) + BigInt(n.challengeBondsHeld))}</div><div class="s">solvers ${eth(n.solverBondsHeld)} · challengers ${eth(n.challengeBondsHeld)}</div></div>
      <div class="card"><div class="k">Market balance</div><div class="v" data-testid="market-balance">${eth(n.marketBalance)}</div><div class="s">escrow, bonds and unwithdrawn pay</div></div>
      <div class="card"><div class="k">Median price</div><div class="v">${n.prices.count ? eth(n.prices.median) : "—"}</div><div class="s">${n.prices.count ? `${n.prices.count} assigned · ${eth(n.prices.min)} – ${eth(n.prices.max)} · ${eth(n.prices.medianPerStep)}/step` : "no job assigned yet"}</div></div>
      <div class="card"><div class="k">Solvers · verifiers</div><div class="v"><span data-testid="solvers-seen">${n.solvers.length}</span> · <span data-testid="verifiers-seen">${n.verifiers.length}</span></div><div class="s">seen in the market's events</div></div>
    </div>
    <div class="states">${states}</div>
    <h2>Jobs</h2>
    ${total ? `<table><thead><tr><th>Job</th><th>State</th><th>Client</th><th>Solver</th><th class="num">Escrow</th><th class="num">Price</th><th class="num">Bond</th><th class="num">Steps</th><th class="num">Disputes</th></tr></thead><tbody>${jobRows}</tbody></table>` : '<p class="muted">No job posted yet.</p>'}
    <div class="grid2">
      <div><h2>Solvers seen</h2>${n.solvers.length ? `<table><thead><tr><th>Solver</th><th class="num">Bids</th><th class="num">Won</th><th class="num">Paid</th><th class="num">Failed</th><th class="num">Slashed</th><th class="num">Credited</th></tr></thead><tbody>${solverRows}</tbody></table>` : '<p class="muted">None yet (bids and assignments name them).</p>'}</div>
      <div><h2>Verifiers seen</h2>${n.verifiers.length ? `<table><thead><tr><th>Verifier</th><th class="num">Attest.</th><th class="num">Intervals</th><th class="num">Challenges</th><th class="num">Won</th><th class="num">Lost</th><th class="num">Credited</th></tr></thead><tbody>${verifierRows}</tbody></table>` : '<p class="muted">None yet (attestations and challenges name them).</p>'}</div>
    </div>`;
}

// ---------- job
function curveSection(c) {
  if (!c) return '<p class="muted">No curve yet: it needs the committed checkpoint roots and the job\'s checked spec.</p>';
  const rule = `<div class="rule" data-testid="curve-rule">${esc(c.rule)}.${c.heldout ? ` Scored on ${esc(c.heldout.name)} (${num(c.heldout.examples)} examples) by the engine's integer forward pass.` : ""} Nothing the solver reports is used.</div>`;
  if (c.unavailable) return rule + `<p class="muted" data-testid="curve-unavailable">${esc(c.unavailable)}</p>`;
  const rows = c.points.map((p) => `<tr data-testid="curve-point" data-verified="${p.verified}">
      <td class="num">${p.checkpoint}</td><td class="num">${num(p.step)}</td><td>${root(p.root)}</td>
      <td>${p.verified ? `<span class="check">✓ verified</span> <span class="muted small">${esc(p.source)}</span>` : `<span class="cross">✗ not verified</span> <span class="muted small">${esc(p.reason)}</span>`}</td>
      <td class="num">${p.verified ? p.loss.toFixed(4) : "—"}</td><td class="num">${p.verified ? pct(p.accuracy) : "—"}</td></tr>`).join("");
  return rule + `<div class="chart" id="curve-chart"></div>
    ${c.computing ? '<p class="muted small" data-testid="curve-computing">fetching and scoring checkpoints…</p>' : ""}
    <table style="margin-top:10px"><thead><tr><th class="num">Checkpoint</th><th class="num">Step</th><th>Committed root</th><th>State</th><th class="num">Held-out loss</th><th class="num">Held-out accuracy</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function drawCurve(c) {
  const el = document.getElementById("curve-chart");
  if (state.chart) { state.chart.destroy(); state.chart = null; }
  if (!el || !c || !c.points.length || typeof uPlot === "undefined") return;
  const pts = c.points.filter((p) => p.verified);
  if (!pts.length) { el.innerHTML = '<p class="muted">No point verified yet.</p>'; return; }
  const data = [pts.map((p) => p.step), pts.map((p) => p.loss), pts.map((p) => p.accuracy * 100)];
  const axis = { stroke: "#8d99b3", grid: { stroke: "#2a3550", width: 1 }, ticks: { stroke: "#2a3550" } };
  state.chart = new uPlot({
    width: Math.max(320, el.clientWidth - 20), height: 280,
    scales: { x: { time: false }, loss: { auto: true }, acc: { range: [0, 100] } },
    series: [
      { label: "step" },
      { label: "held-out loss", scale: "loss", stroke: "#ff9f5b", width: 2, points: { size: 7, fill: "#ff9f5b" }, value: (u, v) => (v == null ? "—" : v.toFixed(4)) },
      { label: "held-out accuracy %", scale: "acc", stroke: "#3ecf8e", width: 2, points: { size: 7, fill: "#3ecf8e" }, value: (u, v) => (v == null ? "—" : v.toFixed(2) + "%") },
    ],
    axes: [
      { ...axis, label: "step" },
      { ...axis, scale: "loss", label: "loss (MSE)" },
      { ...axis, scale: "acc", side: 1, label: "accuracy %", grid: { show: false } },
    ],
  }, data, el);
}

async function renderJob(id) {
  const [n, j] = await Promise.all([api("/api/network"), api(`/api/jobs/${encodeURIComponent(id)}`)]);
  setHead(n);
  crumbs({ kind: "job", id });
  const r = j.row, p = j.params;
  const specRows = j.spec.checked
    ? `<dt>spec</dt><dd><span class="check" data-testid="spec-checked">✓ hash matches the committed spec hash</span></dd>
       <dt>model</dt><dd>MLP ${j.spec.layers.join("–")}</dd><dt>batch</dt><dd>${j.spec.batchSize}</dd>
       <dt>dataset</dt><dd>${num(j.spec.data.count)} examples × ${j.spec.data.features} features, ${j.spec.data.classes} classes · root ${root("0x" + j.spec.data.root.replace(/^0x/, ""))}</dd>`
    : `<dt>spec</dt><dd><span class="cross" data-testid="spec-unchecked">✗ not checked</span> <span class="muted">${esc(j.spec.error)}</span></dd>`;
  const bids = j.bids.map((b) => `<tr><td>${addr(b.bidder)}</td><td class="num">${eth(b.price)}</td><td class="num">${eth(b.bond)}</td><td class="num">${num(b.block)}</td><td>${b.outbid ? badge("outbid", "Cancelled") : badge("best", "good")}</td></tr>`).join("");
  const cps = j.checkpoints.map((c) => `<tr data-testid="checkpoint-row"><td class="num">${c.index}</td><td class="num">${num(c.step)}</td><td class="mono" data-testid="checkpoint-root">${esc(c.root)}</td>
      <td>${c.attestedBy.map((a) => `${addr(a)} <span class="check">✓</span>`).join("<br>") || '<span class="muted">—</span>'}</td>
      <td>${c.challengedIn.map((g) => `<a href="#/game/${esc(g)}">game ${esc(g)}</a>`).join(", ") || '<span class="muted">—</span>'}</td></tr>`).join("");
  const disputes = j.disputes.map((d) => `<tr data-testid="dispute-row"><td><a href="#/game/${esc(d.gameId)}">game ${esc(d.gameId)}</a></td><td>${addr(d.challenger)}</td><td class="num">${esc(d.loIndex)}–${Number(d.loIndex) + 1}</td><td class="num">${esc(d.loStep)}–${esc(d.hiStep)}</td><td class="num">${eth(d.bond)}</td>
      <td>${d.outcome === "open" ? badge(`open · ${d.phase ?? ""}`, "Assigned") : badge(d.outcome, d.outcome === "challenger-won" ? "challenger" : d.outcome === "solver-won" ? "solver" : "Cancelled")} ${d.reason ? `<span class="muted">${esc(d.reason)}</span>` : ""}</td></tr>`).join("");
  const pays = j.payments.map((x) => `<tr><td>${addr(x.account)}</td><td>${badge(x.role, x.role === "solver" || x.role === "challenger" ? x.role : "anyone")}</td><td class="num">${eth(x.amount)}</td><td class="num">${num(x.block)}</td></tr>`).join("");
  const atts = j.attestations.map((a) => `<tr><td>${addr(a.verifier)}</td><td>${a.intervals.join(", ")}</td><td class="num">${num(a.block)}</td></tr>`).join("");
  const events = j.events.map((e) => `<tr><td class="num">${num(e.block)}</td><td>${esc(e.kind)}</td><td class="small mono">${esc(describe(e))}</td></tr>`).join("");
  $main.innerHTML = `
    <h1>Job #${esc(r.id)} ${badge(r.status)} <span class="badge" data-testid="verdict">${esc(j.verdict)}</span></h1>
    <p class="summary" data-testid="job-summary">${esc(j.summary)}</p>
    <div class="cards">
      <div class="card"><div class="k">Status</div><div class="v" data-testid="job-status">${esc(r.status)}</div><div class="s">posted at block ${r.postedBlock ? num(r.postedBlock) : "—"}</div></div>
      <div class="card"><div class="k">Escrow</div><div class="v">${eth(r.escrow)}</div><div class="s">client ${addr(r.client)}</div></div>
      <div class="card"><div class="k">Price</div><div class="v">${r.price ? eth(r.price) : "—"}</div><div class="s">solver ${addr(r.solver)}</div></div>
      <div class="card"><div class="k">Solver bond</div><div class="v">${r.bond ? eth(r.bond) : eth(p.requiredBond)}</div><div class="s">challenge bond ${eth(p.challengeBond)}</div></div>
      <div class="card"><div class="k">Training</div><div class="v">${num(p.steps)} steps</div><div class="s">a checkpoint every ${num(p.checkpointInterval)}</div></div>
      <div class="card"><div class="k">Disputes</div><div class="v" data-testid="job-disputes">${j.disputes.length}</div><div class="s">${j.attestations.length} attestation(s)</div></div>
    </div>
    <div class="grid2">
      <div><h2>Spec</h2><div class="panel"><dl class="kv">${specRows}<dt>URI</dt><dd class="mono">${esc(j.spec.uri ?? "—")}</dd><dt>spec hash</dt><dd>${root(j.roots.specHash)}</dd><dt>program root</dt><dd>${root(j.roots.programRoot)}</dd><dt>initial root</dt><dd>${root(j.roots.initialRoot)}</dd></dl></div></div>
      <div><h2>Terms</h2><div class="panel"><dl class="kv">
        <dt>assignment</dt><dd>${p.firstCome ? "first come" : `reverse auction, ${dur(p.bidDuration)}`}</dd>
        <dt>commit within</dt><dd>${dur(p.commitDuration)}${p.assignedAt > 0 && r.status === "Assigned" ? ` <span class="muted small">· deadline ${esc(when(p.assignedAt + p.commitDuration))}</span>` : ""}</dd><dt>challenge window</dt><dd>${dur(p.challengeWindow)}</dd><dt>dispute clock</dt><dd>${dur(p.clockDuration)} per party</dd>
        <dt>sampling hint</dt><dd>${(p.sampleBps / 100).toFixed(2)}% of intervals</dd>
        <dt>posted · assigned · committed</dt><dd class="small">${esc(when(p.postedAt))} · ${esc(when(p.assignedAt))} · ${esc(when(p.committedAt))}</dd>
        ${j.commit ? `<dt>challenges until</dt><dd>${esc(when(j.commit.challengeDeadline))}</dd><dt>model</dt><dd class="mono small">${esc(j.commit.modelURI)}</dd>` : ""}
      </dl></div></div>
    </div>
    <h2>Training curve</h2>
    ${curveSection(j.curve)}
    <h2>Checkpoint history <span class="muted small">(roots committed on chain${j.commit ? `, history root ${root(j.commit.historyRoot)}` : ""})</span></h2>
    ${cps ? `<table><thead><tr><th class="num">#</th><th class="num">Step</th><th>State root</th><th>Interval attested by</th><th>Challenged</th></tr></thead><tbody>${cps}</tbody></table>` : '<p class="muted" data-testid="no-checkpoints">Nothing committed yet.</p>'}
    <div class="grid2">
      <div><h2>Auction</h2>${bids ? `<table><thead><tr><th>Bidder</th><th class="num">Price</th><th class="num">Bond</th><th class="num">Block</th><th></th></tr></thead><tbody>${bids}</tbody></table>` : `<p class="muted">${p.firstCome ? "First come: no bids, the first solver to take it is assigned." : "No bids yet."}</p>`}</div>
      <div><h2>Verifier attestations</h2>${atts ? `<table><thead><tr><th>Verifier</th><th>Intervals re-executed, matched</th><th class="num">Block</th></tr></thead><tbody>${atts}</tbody></table><p class="muted small">An attestation is a verifier's word that it re-executed these intervals and found the committed roots, not a proof.</p>` : '<p class="muted">None.</p>'}</div>
    </div>
    <h2>Disputes</h2>
    ${disputes ? `<table><thead><tr><th>Game</th><th>Challenger</th><th class="num">Checkpoints</th><th class="num">Steps</th><th class="num">Bond</th><th>Outcome</th></tr></thead><tbody>${disputes}</tbody></table>` : '<p class="muted">None.</p>'}
    <div class="grid2">
      <div><h2>Balances credited</h2>${pays ? `<table><thead><tr><th>Account</th><th>Role</th><th class="num">Amount</th><th class="num">Block</th></tr></thead><tbody>${pays}</tbody></table>` : '<p class="muted">Nothing credited yet.</p>'}</div>
      <div><h2>Events</h2><table><thead><tr><th class="num">Block</th><th>Event</th><th>Details</th></tr></thead><tbody>${events}</tbody></table></div>
    </div>`;
  drawCurve(j.curve);
  if (j.curve && j.curve.computing) schedule(1500);
}

function describe(e) {
  switch (e.kind) {
    case "posted": return `escrow ${eth(e.escrow)}, spec ${e.params.specURI}`;
    case "bid": return `${e.bidder} bids ${eth(e.price)} (bond ${eth(e.bond)})`;
    case "outbid": return `${e.bidder} outbid, bond ${eth(e.bondRefunded)} returned`;
    case "assigned": return `${e.solver} at ${eth(e.price)} (bond ${eth(e.bond)})`;
    case "committed": return `${e.checkpointCount} checkpoints, final root ${e.finalRoot}`;
    case "attested": return `${e.verifier}: intervals ${e.intervals.join(", ")} match`;
    case "challenged": return `game ${e.gameId} by ${e.challenger} on checkpoints ${e.loIndex}–${Number(e.loIndex) + 1}`;
    case "gameResolved": return `game ${e.gameId}: ${e.voidOutcome ? "void" : e.solverWon ? "solver won" : "challenger won"}${e.reason ? ` (${e.reason})` : ""}`;
    case "failed": return `escrow ${eth(e.escrowRefunded)} refunded, solver bond ${eth(e.solverBondForfeited)} forfeited`;
    case "finalized": return `solver paid ${eth(e.solverPaid)}, client refunded ${eth(e.clientRefund)}`;
    case "credited": return `${e.account} +${eth(e.amount)}`;
    case "slashed": return `solver ${e.solver} slashed`;
    case "cancelled": return `escrow ${eth(e.escrowRefunded)} refunded`;
    case "gameVoided": return `game ${e.gameId} voided`;
    default: return "";
  }
}

// ---------- game
function clockBox(side, left, duration, running, addrOf) {
  return `<div class="clock ${running ? "running" : ""}" data-testid="clock-${side}">
    <div class="who">${badge(side, side)} ${addr(addrOf)} ${running ? '<span class="muted small">to move</span>' : ""}</div>
    <div class="time" data-left="${left}" data-running="${running}">${dur(left)}</div>
    <div class="bar"><div style="width:${duration ? Math.min(100, (100 * left) / duration) : 0}%"></div></div>
    <div class="muted small">of ${dur(duration)} per party</div></div>`;
}

async function renderGame(id) {
  const [n, g] = await Promise.all([api("/api/network"), api(`/api/games/${encodeURIComponent(id)}`)]);
  setHead(n);
  crumbs({ kind: "game", id }, g.jobId);
  const c = g.clocks;
  const levels = g.levels.map((l) => `<div class="level" data-testid="level-${l.level}"><h3><span class="n">${l.level}</span>${esc(l.name)}</h3>
      ${l.items.map((it) => `<div class="move"><div>${badge(it.by, it.by)} <span class="muted small">block ${num(it.block)}</span></div>
        <div><div>${esc(it.text)}</div>${it.range ? `<div class="range ${esc(it.by)}" title="${it.range.lo}..${it.range.hi} of ${it.range.total}"><div style="left:${(100 * it.range.lo) / Math.max(1, it.range.total)}%;width:${(100 * (it.range.hi - it.range.lo)) / Math.max(1, it.range.total)}%"></div></div>` : ""}</div>
        <div class="num small">${num(it.gasUsed)} gas</div><div class="mono small" title="${esc(it.tx)}">${short(it.tx)}</div></div>`).join("")}</div>`).join("");
  const gas = Object.entries(g.gasPerLevel).map(([k, v]) => `<tr><td>level ${k}</td><td class="num">${num(v)}</td></tr>`).join("");
  const outcome = g.outcome
    ? `<div class="banner ${esc(g.outcome.winner)}" data-testid="winner">Settled: the ${esc(g.outcome.winner)} won (${esc(g.outcome.reason)}) — ${addr(g.outcome.winnerAddress)}${g.outcome.chainSeconds !== undefined ? ` <span class="muted small">after ${dur(g.outcome.chainSeconds)} of chain time</span>` : ""}</div>`
    : `<div class="banner open" data-testid="game-live">Live: phase ${esc(g.phase)}, level ${g.level}${c.turn !== "none" ? `, the ${esc(c.turn)} to move before ${esc(when(c.deadline))}` : ""}${c.settlementLeft !== undefined ? `; settlement closes in ${dur(c.settlementLeft)}` : ""}</div>`;
  $main.innerHTML = `
    <h1>Dispute game #${esc(g.gameId)} ${badge(g.phase, g.over ? "Finalized" : "Assigned")} <span class="muted small">job <a href="#/job/${esc(g.jobId)}">#${esc(g.jobId)}</a></span></h1>
    ${g.interval ? `<p class="muted">Challenged checkpoints ${esc(g.interval.loIndex)}–${Number(g.interval.loIndex) + 1} (steps ${esc(g.interval.loStep)}–${esc(g.interval.hiStep)}); the challenger claims root ${root(g.interval.claimedRoot)} at step ${esc(g.interval.hiStep)}, bond ${eth(g.interval.bond)}.</p>` : ""}
    ${outcome}
    <h2>Chess clocks <span class="muted small">(chain time at block ${num(c.readAtBlock)}; the running clock counts down between blocks)</span></h2>
    <div class="clocks">${clockBox("solver", c.solverLeft, c.duration, !g.over && c.turn === "solver", g.solver)}${clockBox("challenger", c.challengerLeft, c.duration, !g.over && c.turn === "challenger", g.challenger)}</div>
    <h2>Narrowing, level by level</h2>
    ${levels || '<p class="muted">No move yet.</p>'}
    <h2>Gas per move</h2>
    <div class="chart" id="gas-chart"></div>
    <div class="grid2">
      <div><h2>Gas per level</h2><table><tbody>${gas}<tr><td><b>total</b></td><td class="num" data-testid="total-gas"><b>${num(g.totalGas)}</b></td></tr></tbody></table></div>
      <div><h2>Moves</h2><table><thead><tr><th>Level</th><th>Move</th><th>By</th><th class="num">Gas</th><th class="num">Calldata</th></tr></thead><tbody>
        ${g.moves.map((m) => `<tr data-testid="move-row" data-by="${esc(m.by)}"><td>${m.level}</td><td>${esc(m.label)}</td><td>${badge(m.by, m.by)}</td><td class="num">${num(m.gasUsed)}</td><td class="num">${num(m.calldataBytes)} B</td></tr>`).join("")}</tbody></table></div>
    </div>`;
  drawGas(g);
  startClockTick();
}

/** Every move's gas as bars, by party (uPlot), in the order the moves were mined. */
function drawGas(g) {
  const el = document.getElementById("gas-chart");
  if (state.gasChart) { state.gasChart.destroy(); state.gasChart = null; }
  if (!el || typeof uPlot === "undefined") return;
  if (!g.moves.length) { el.innerHTML = '<p class="muted">No move yet.</p>'; return; }
  const by = (who) => g.moves.map((m) => (m.by === who ? Number(m.gasUsed) : null));
  const bars = uPlot.paths.bars({ size: [0.7, 28] });
  const axis = { stroke: "#8d99b3", grid: { stroke: "#2a3550", width: 1 }, ticks: { stroke: "#2a3550" } };
  const series = (label, color) => ({ label, stroke: color, fill: color + "cc", paths: bars, points: { show: false }, value: (u, v) => (v == null ? "—" : Number(v).toLocaleString("en-US")) });
  state.gasChart = new uPlot({
    width: Math.max(320, el.clientWidth - 20), height: 200,
    scales: { x: { time: false, range: [0.3, g.moves.length + 0.7] }, y: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } },
    series: [{ label: "move", value: (u, v) => (v == null ? "—" : `#${v} · level ${g.moves[v - 1] ? g.moves[v - 1].level + " " + g.moves[v - 1].label : ""}`) }, series("solver", "#b48cff"), series("challenger", "#ff9f5b"), series("anyone", "#8d99b3")],
    axes: [{ ...axis, label: "move", incrs: [1, 2, 5, 10] }, { ...axis, label: "gas", size: 70 }],
  }, [g.moves.map((_, i) => i + 1), by("solver"), by("challenger"), by("anyone")], el);
}

function startClockTick() {
  clearInterval(state.clockTimer);
  const t0 = Date.now();
  const els = [...document.querySelectorAll('.clock .time[data-running="true"]')];
  if (!els.length) return;
  state.clockTimer = setInterval(() => {
    const gone = (Date.now() - t0) / 1000;
    for (const el of els) el.textContent = dur(Number(el.dataset.left) - gone);
  }, 1000);
}

// ---------- live updates
function schedule(ms) {
  clearTimeout(state.timer);
  state.timer = setTimeout(render, ms);
}

let rendering = false, again = false;
async function refresh() {
  if (rendering) { again = true; return; }
  rendering = true;
  try { await render(); } finally {
    rendering = false;
    if (again) { again = false; refresh(); }
  }
}

window.addEventListener("hashchange", () => { clearInterval(state.clockTimer); refresh(); });
const events = new EventSource("/api/events");
events.addEventListener("block", () => refresh());
events.onerror = () => { document.getElementById("live-dot").className = "dot err"; };
setInterval(refresh, 10_000); // a fallback if an event is missed
refresh();
