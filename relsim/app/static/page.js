"use strict";
// The teaching page. Everything it draws comes from one run's small JSON document (see
// relsim/app/runs.py): the page never simulates, so playing and comparing runs is free.
const CONFIG = /*__CONFIG__*/null;
const RUNS = window.RELSIM_RUNS || null;  // the runs of an exported page, or null (live)
const LEVERS = CONFIG.levers;
const RUNGS = CONFIG.rungs;               // customer ... partner
const CAUSES = CONFIG.causes;
const CHANNELS = CONFIG.channels;
const COL = CONFIG.colours;
const PIN_COLOURS = ["#d95f02", "#7570b3", "#1b9e77", "#e7298a"];
const MAX_PINS = 4;
const PLOT_CONFIG = { displayModeBar: false, responsive: true };

const $ = (s) => document.querySelector(s);
const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const svgEl = (tag, attrs = {}, text) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------- numbers, always in words a class can read ----------
const whole = (x) => Math.round(x).toLocaleString("en-US");
// "$76,493", "EUR 1,204": a symbol goes before the number, a code before it with a space.
const money = (x) => {
  if (x === null || x === undefined) return "none";
  const c = CONFIG.currency || "";
  return (x < 0 ? "\u2212" : "") + c + (c.length > 1 ? " " : "") + whole(Math.abs(x));
};
const pct = (x) => `${Math.round(100 * x)}%`;
const short = (x) => {
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}m`;
  if (a >= 1e4) return `${Math.round(x / 1e3)}k`;
  return whole(x);
};

// ---------- state ----------
const state = {
  run: null,        // the run on show
  previous: null,   // the run before it (faded line)
  pinned: [],       // {run, name, colour}
  seq: 0,           // requests made; a reply to an older one is ignored
  week: 0,
  playing: false,
  timer: null,
  horizon: 10,
  step: -1,         // lesson step on show, -1 for none
  name: "default levers",
  scale: { flow: 0, level: 0, bucketFlow: 0, money: 0, moneyLow: 0 },
};

// ---------- levers: built from the server's spec, checked here and again on the server ----------
function checkLever(lv, raw) {
  const what = `${lv.whole ? "a whole number" : "a number"} from ${fmtBound(lv.low)} to ${fmtBound(lv.high)} (${lv.unit})`;
  if (raw === null || String(raw).trim() === "") return [null, `${lv.label}: no value given; expected ${what}`];
  const v = Number(String(raw).trim());
  if (!Number.isFinite(v)) return [null, `${lv.label}: "${String(raw).slice(0, 40)}" is not a number; expected ${what}`];
  if (v < lv.low || v > lv.high) return [null, `${lv.label}: ${v} is out of range; expected ${what}`];
  if (lv.whole && v !== Math.round(v)) return [null, `${lv.label}: ${v} is not a whole number; expected ${what}`];
  return [v, null];
}
function fmtBound(x) { return x === Math.round(x) ? whole(x) : String(x); }

function buildLevers() {
  const form = $("#levers");
  for (const lv of LEVERS) {
    const box = el("div", { class: "lever", id: `lever-${lv.key}` });
    const top = el("div", { class: "top" });
    top.append(el("label", { for: `in-${lv.key}`, title: lv.help }, lv.label));
    const num = el("input", { type: "number", id: `in-${lv.key}`, name: lv.key, min: lv.low, max: lv.high, step: lv.step, value: lv.default, inputmode: "decimal", "aria-describedby": `err-${lv.key}` });
    top.append(num);
    const range = el("input", { type: "range", id: `range-${lv.key}`, min: lv.low, max: lv.high, step: lv.step, value: lv.default, "aria-label": lv.label, tabindex: "-1" });
    if (RUNS) {  // an exported page: tick the values it holds runs for
      const list = el("datalist", { id: `marks-${lv.key}` });
      [...new Set(RUNS.map((r) => r.levers[lv.key]))].sort((a, b) => a - b).forEach((v) => list.append(el("option", { value: v })));
      range.setAttribute("list", list.id);
      box.append(list);
    }
    box.append(top, range, el("span", { class: "unit" }, lv.unit), el("span", { class: "err", id: `err-${lv.key}` }));
    form.append(box);
    num.addEventListener("input", () => { const [v] = checkLever(lv, num.value); if (v !== null) range.value = v; leverChanged(lv); });
    range.addEventListener("input", () => { num.value = range.value; leverChanged(lv); });
    num.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); if (!readLevers()[1]) leaveLesson(); apply(); } });
  }
}

function leverChanged(lv) {
  const box = $(`#lever-${lv.key}`);
  const num = $(`#in-${lv.key}`);
  const [v, err] = checkLever(lv, num.value);
  num.setAttribute("aria-invalid", err ? "true" : "false");
  $(`#err-${lv.key}`).textContent = err ? err.replace(`${lv.label}: `, "") : "";
  box.classList.toggle("changed", !!state.run && v !== null && v !== state.run.levers[lv.key]);
  const bad = LEVERS.some((l) => checkLever(l, $(`#in-${l.key}`).value)[1]);
  $("#apply").disabled = bad;
  setMsg(bad ? "Correct the value in red to run." : "Changed: press Apply (or Enter) to run.", bad);
}

function readLevers() {
  const out = {};
  for (const lv of LEVERS) {
    const [v, err] = checkLever(lv, $(`#in-${lv.key}`).value);
    if (err) return [null, err];
    out[lv.key] = v;
  }
  return [out, null];
}

function setLevers(values) {
  for (const lv of LEVERS) {
    const v = values[lv.key];
    $(`#in-${lv.key}`).value = v;
    $(`#range-${lv.key}`).value = v;
    $(`#in-${lv.key}`).setAttribute("aria-invalid", "false");
    $(`#err-${lv.key}`).textContent = "";
    $(`#lever-${lv.key}`).classList.remove("changed");
  }
  $("#apply").disabled = false;
}

function setMsg(text, error = false) {
  const m = $("#msg");
  m.textContent = text;
  m.classList.toggle("error", error);
}

function describe(levers) {
  const diff = LEVERS.filter((lv) => levers[lv.key] !== lv.default)
    .map((lv) => `${lv.label.toLowerCase()} ${lv.key === "budget" ? short(levers[lv.key]) : levers[lv.key]}`);
  return diff.length ? diff.join(", ") : "default levers";
}

// ---------- getting a run ----------
async function fetchRun(levers) {
  if (RUNS) {
    const hit = RUNS.find((r) => LEVERS.every((lv) => Math.abs(r.levers[lv.key] - levers[lv.key]) < 1e-9));
    if (!hit) throw new Error(`Not in this exported page: it holds the presets, the lesson's steps, and one lever at a time moved to a ticked value from a preset. "relsim app" runs any setting.`);
    return hit;
  }
  const q = new URLSearchParams(Object.entries(levers).map(([k, v]) => [k, String(v)]));
  const reply = await fetch(`api/run?${q}`);
  let doc;
  try { doc = await reply.json(); } catch (e) { throw new Error(`The server answered ${reply.status} without a run.`); }
  if (!reply.ok) throw new Error(doc.error || `The server answered ${reply.status}.`);
  return doc;
}

async function apply(name) {
  const [levers, err] = readLevers();
  if (err) { setMsg(err, true); return; }
  const seq = ++state.seq;
  const t0 = performance.now();
  document.querySelectorAll(".stage, #key-figures, #pinned").forEach((s) => s.classList.add("stale"));
  document.querySelectorAll(".busy").forEach((b) => { b.hidden = false; });
  setMsg("Running the simulation\u2026");
  let run;
  try {
    run = await fetchRun(levers);
  } catch (e) {
    if (seq !== state.seq) return;
    unstale();
    setMsg(`${e.message} The charts still show the last run.`, true);
    return;
  }
  if (seq !== state.seq) return;  // a newer request is on its way
  if (state.run) state.previous = state.run;
  state.run = run;
  state.name = name || describe(run.levers);
  setLevers(run.levers);
  await drawAll(true);
  unstale();
  $("#pin").disabled = state.pinned.length >= MAX_PINS;
  await new Promise((r) => requestAnimationFrame(() => r()));
  const ms = Math.round(performance.now() - t0);
  document.body.dataset.ms = ms;
  document.body.dataset.run = seq;
  setMsg(`Run: ${state.name}.`);
}

function unstale() {
  document.querySelectorAll(".stage, #key-figures, #pinned").forEach((s) => s.classList.remove("stale"));
  document.querySelectorAll(".busy").forEach((b) => { b.hidden = true; });
}

// ---------- drawing ----------
function equityAt(run) { return run.equity.value[state.horizon - 1]; }

function keyFigures(run) {
  const f = run.figures;
  const eq = equityAt(run);
  const busy = f.managers_busy === null ? "no managers" : pct(f.managers_busy);
  const perBought = f.cost_per_bought === null ? "none bought" : money(f.cost_per_bought);
  const byCause = ["neglect", "price", "dissatisfaction"].map((c) => whole(f.lost_by_cause[c])).join(" / ");
  const rows = [
    ["Profit, two years", money(f.profit), "big"],
    [`Value kept, next ${state.horizon} yr`, money(eq), "big"],
    ["Profit + value kept", eq === null ? "none" : money(f.profit + eq), "big"],
    ["Customers: start \u2192 end", `${whole(f.customers_start)} \u2192 ${whole(f.customers_end)}`],
    ["Won / lost, two years", `${whole(f.won)} / ${whole(f.lost)}`],
    ["Lost: neglect / price / dissat.", byCause],
    ["Spent on ads and coupons", money(f.spent_winning)],
    [`\u2026 each of the ${whole(f.bought)} new customers they won`, perBought],
    ["Spent on win-back offers", money(f.spent_winning_back)],
    ["Given away in discounts", money(f.discounts)],
    ["Customers kept a year", pct(f.kept_a_year)],
    ["Account managers busy", busy],
    ["Contacts per customer a year", f.contacts_per_customer_year === null ? "none" : f.contacts_per_customer_year.toFixed(1)],
  ];
  const t = $("#key-figures");
  t.replaceChildren(...rows.map(([k, v, cls]) => {
    const tr = el("tr", cls ? { class: cls } : {});
    tr.append(el("th", {}, k), el("td", {}, v));
    return tr;
  }));
}

function monthly(run) {
  // Weekly counts summed into the calendar month of each week's end.
  const months = [];
  const index = new Map();
  run.weeks.forEach((d, i) => {
    const m = d.slice(0, 7);
    if (!index.has(m)) { index.set(m, months.length); months.push(m + "-01"); }
  });
  const sum = (series) => {
    const out = new Array(months.length).fill(0);
    series.forEach((v, i) => { out[index.get(run.weeks[i].slice(0, 7))] += v; });
    return out;
  };
  return { months, sum };
}

// Headroom on the first run: the axes are then fixed for the runs a class is likely to try
// (a lever at its extreme roughly doubles a flow); they only ever grow, never shrink.
const HEADROOM = { flow: 2.0, level: 1.5, money: 1.6, moneyLow: 1.6 };
function grow(key, value, roundTo) {
  const v = Math.ceil((value * (state.scale[key] ? 1.1 : HEADROOM[key])) / roundTo) * roundTo;
  if (v > state.scale[key]) state.scale[key] = v;
  return state.scale[key];
}

function flowsFigure(run) {
  const { months, sum } = monthly(run);
  const traces = [];
  let up = new Array(months.length).fill(0);
  let down = new Array(months.length).fill(0);
  for (const c of CHANNELS) {
    const y = sum(run.inflow[c]);
    up = up.map((a, i) => a + y[i]);
    traces.push({ type: "bar", x: months, y, name: `in: ${c}`, marker: { color: COL.channels[c] }, hovertemplate: `%{x|%b %Y}: %{y} customers won (${c})<extra></extra>` });
  }
  for (const c of CAUSES) {
    const y = sum(run.outflow[c]).map((v) => -v);
    down = down.map((a, i) => a - y[i]);
    traces.push({ type: "bar", x: months, y, name: `out: ${c}`, marker: { color: COL.causes[c] }, customdata: y.map((v) => -v), hovertemplate: `%{x|%b %Y}: %{customdata} customers lost (${c})<extra></extra>` });
  }
  const top = grow("flow", Math.max(...up, ...down, 10), 10);
  const wk = run.weeks[state.week];
  return {
    data: traces,
    layout: {
      barmode: "relative", margin: { l: 58, r: 8, t: 28, b: 30 }, font: { size: 13 },
      title: { text: "Customers in (up) and out (down) per month, by channel and cause", font: { size: 14 }, x: 0.01 },
      yaxis: { range: [-top, top], title: { text: "customers per month" }, zeroline: true, zerolinewidth: 2, tickformat: ",d" },
      xaxis: { type: "date", tickformat: "%b %Y", hoverformat: "%b %Y", range: [months[0].slice(0, 8) + "01", run.weeks[run.weeks.length - 1]] },
      showlegend: false, hovermode: "closest", template: "plotly_white",
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: wk, x1: wk, y0: 0, y1: 1, line: { color: "#333", width: 1.5, dash: "dot" } }],
    },
  };
}

function levelFigure(run) {
  const traces = RUNGS.map((r) => ({ type: "scatter", mode: "lines", stackgroup: "rungs", x: run.weeks, y: run.stock[r], name: r, line: { width: 0.5, color: COL.rungs[r] }, fillcolor: COL.rungs[r], hovertemplate: `%{x|%d %b %Y}: %{y} on rung ${r}<extra></extra>` }));
  const total = (p) => p.weeks.map((_, i) => RUNGS.reduce((a, r) => a + p.stock[r][i], 0));
  if (state.previous) traces.push({ type: "scatter", mode: "lines", x: state.previous.weeks, y: total(state.previous), name: "previous run (all rungs)", showlegend: false, line: { color: "#888", width: 2, dash: "dot" }, hovertemplate: "%{x|%d %b %Y}: %{y} customers (previous run)<extra></extra>" });
  state.pinned.forEach((p, i) => traces.push({ type: "scatter", mode: "lines", x: p.run.weeks, y: total(p.run), name: `pin ${i + 1}`, showlegend: false, line: { color: p.colour, width: 2.5, dash: "dash" }, hovertemplate: `%{x|%d %b %Y}: %{y} customers (${p.name})<extra></extra>` }));
  const top = grow("level", Math.max(...total(run), ...state.pinned.flatMap((p) => total(p.run))), 100);
  return {
    data: traces,
    layout: {
      margin: { l: 58, r: 8, t: 30, b: 30 }, font: { size: 13 }, template: "plotly_white",
      title: { text: "Customers on each rung (stacked); dashed: pinned runs, dotted: the previous run", font: { size: 14 }, x: 0.01 },
      yaxis: { range: [0, top], title: { text: "customers" }, tickformat: ",d" },
      xaxis: { type: "date", tickformat: "%b %Y", hoverformat: "%d %b %Y" },
      legend: { orientation: "h", y: -0.12 }, hovermode: "closest",
    },
  };
}

function moneyFigure(run) {
  const rows = [...state.pinned.map((p, i) => [`pin ${i + 1}`, p.run]), ["now", run]];
  const names = rows.map(([n]) => n);
  const profit = rows.map(([, r]) => r.figures.profit);
  const equity = rows.map(([, r]) => equityAt(r) || 0);
  const top = grow("money", Math.max(...profit.map((p, i) => p + equity[i]), ...equity, 1000), 50000);
  const worst = Math.min(0, ...profit);
  const low = worst < 0 ? -grow("moneyLow", -worst, 50000) : -state.scale.moneyLow;
  return {
    data: [
      { type: "bar", x: names, y: profit, name: "profit over the two years", marker: { color: "#6c757d" }, hovertemplate: "%{x}: profit %{y:,.0f}<extra></extra>" },
      { type: "bar", x: names, y: equity, name: `value of customers kept (next ${state.horizon} yr)`, marker: { color: "#2a9d8f" }, hovertemplate: "%{x}: value kept %{y:,.0f}<extra></extra>" },
    ],
    layout: {
      barmode: "relative", margin: { l: 70, r: 8, t: 30, b: 60 }, font: { size: 13 }, template: "plotly_white",
      title: { text: "Profit and the value of the customers kept, per run", font: { size: 14 }, x: 0.01 },
      yaxis: { range: [low, top], title: { text: CONFIG.currency }, tickformat: ",d" },
      xaxis: { tickangle: 0 },
      legend: { orientation: "h", y: -0.14 },
    },
  };
}

function pinnedTable(run) {
  const head = ["run", "customers at end", "profit, 2 yr", `value kept, ${state.horizon} yr`, "profit + value", ...CAUSES.map((c) => `lost: ${c}`), ""];
  const t = $("#pinned");
  const tr0 = el("tr");
  head.forEach((h) => tr0.append(el("th", {}, h)));
  const rows = [tr0];
  const line = (name, r, colour, i) => {
    const tr = el("tr", i === null ? { class: "current" } : {});
    const first = el("td");
    const sw = el("span", { class: "swatch" });
    sw.style.borderTopColor = colour;
    sw.style.borderTopStyle = i === null ? "solid" : "dashed";
    first.append(sw, document.createTextNode(name));
    tr.append(first);
    const eq = equityAt(r);
    [whole(r.figures.customers_end), money(r.figures.profit), money(eq), eq === null ? "none" : money(r.figures.profit + eq), ...CAUSES.map((c) => whole(r.figures.lost_by_cause[c]))]
      .forEach((v) => tr.append(el("td", {}, v)));
    const cell = el("td");
    if (i !== null) {
      const b = el("button", { type: "button", class: "unpin", "aria-label": `remove ${name}` }, "remove");
      b.addEventListener("click", () => { state.pinned.splice(i, 1); recolour(); drawAll(false); $("#pin").disabled = false; });
      cell.append(b);
    }
    tr.append(cell);
    return tr;
  };
  state.pinned.forEach((p, i) => rows.push(line(`pin ${i + 1}: ${p.name}`, p.run, p.colour, i)));
  rows.push(line(`now: ${state.name}`, run, "#264653", null));
  t.replaceChildren(...rows);
}

function recolour() { state.pinned.forEach((p, i) => { p.colour = PIN_COLOURS[i]; }); }

async function drawAll(fresh) {
  const run = state.run;
  if (!run) return;
  if (fresh) state.week = run.weeks.length - 1;
  $("#week").max = run.weeks.length - 1;
  $("#week").value = state.week;
  keyFigures(run);
  pinnedTable(run);
  const jobs = [];
  for (const [id, fig] of [["flows", flowsFigure(run)], ["level", levelFigure(run)], ["money", moneyFigure(run)]]) {
    jobs.push(Plotly.react(id, fig.data, fig.layout, PLOT_CONFIG));
  }
  drawFrame();
  await Promise.all(jobs);
}

// ---------- the bucket: stock and flow, one frame per week ----------
const WINDOW = 4;  // flows shown are the last four weeks' totals
function windowSum(series, w) { let s = 0; for (let i = Math.max(0, w - WINDOW + 1); i <= w; i++) s += series[i]; return s; }

function arrow(g, x1, y, x2, width, colour, label, labelX, anchor) {
  const w = Math.max(width, 0);
  if (w > 0) {
    g.append(svgEl("line", { x1, y1: y, x2: x2 - 10 * Math.sign(x2 - x1), y2: y, stroke: colour, "stroke-width": w, "stroke-linecap": "butt" }));
    const d = Math.sign(x2 - x1);
    const h = Math.max(w * 0.9, 6);
    g.append(svgEl("polygon", { points: `${x2 - 12 * d},${y - h} ${x2},${y} ${x2 - 12 * d},${y + h}`, fill: colour }));
  } else {
    g.append(svgEl("line", { x1, y1: y, x2, y2: y, stroke: "#ccc", "stroke-width": 1, "stroke-dasharray": "3 3" }));
  }
  g.append(svgEl("text", { x: labelX, y: y - Math.max(w / 2, 2) - 3, "font-size": 13, "text-anchor": anchor, fill: "#222" }, label));
}

function drawBucket(run, w) {
  const svg = $("#bucket");
  const g = svgEl("g");
  const L = { x: 215, y: 40, w: 170, h: 235 };
  const counts = RUNGS.map((r) => run.stock[r][w]);
  const level = counts.reduce((a, b) => a + b, 0);
  const cap = state.scale.bucket || (state.scale.bucket = Math.max(1500, Math.ceil((level * 1.6) / 500) * 500));
  if (level > cap) state.scale.bucket = Math.ceil((level * 1.2) / 500) * 500;
  const per = L.h / state.scale.bucket;
  // layers from the bottom: partners (the most stable) first
  let y = L.y + L.h;
  for (let i = RUNGS.length - 1; i >= 0; i--) {
    const h = counts[i] * per;
    y -= h;
    g.append(svgEl("rect", { x: L.x, y, width: L.w, height: h, fill: COL.rungs[RUNGS[i]] }));
    if (h >= 13) g.append(svgEl("text", { x: L.x + L.w / 2, y: y + h / 2 + 5, "font-size": 13, "text-anchor": "middle", fill: i >= 3 ? "#fff" : "#111" }, `${RUNGS[i]} ${whole(counts[i])}`));
  }
  g.append(svgEl("path", { d: `M${L.x},${L.y - 10} V${L.y + L.h} H${L.x + L.w} V${L.y - 10}`, fill: "none", stroke: "#333", "stroke-width": 3 }));
  g.append(svgEl("text", { x: L.x + L.w / 2, y: 22, "font-size": 16, "font-weight": 700, "text-anchor": "middle" }, `${whole(level)} customers`));
  // flows of the last four weeks, one fixed scale for every run
  const ins = CHANNELS.map((c) => windowSum(run.inflow[c], w));
  const outs = CAUSES.map((c) => windowSum(run.outflow[c], w));
  const fmax = state.scale.bucketFlow = Math.max(state.scale.bucketFlow, 40, ...ins, ...outs);
  const width = (v) => (v > 0 ? 2 + 16 * Math.sqrt(v / fmax) : 0);
  g.append(svgEl("text", { x: 4, y: 22, "font-size": 13, fill: "#555" }, "in, last 4 weeks"));
  CHANNELS.forEach((c, i) => arrow(g, 6, 60 + i * 48, L.x - 4, width(ins[i]), COL.channels[c], `${c} ${ins[i]}`, 6, "start"));
  g.append(svgEl("text", { x: 596, y: 22, "font-size": 13, fill: "#555", "text-anchor": "end" }, "out, last 4 weeks"));
  CAUSES.forEach((c, i) => arrow(g, L.x + L.w + 4, 60 + i * 46, 594, width(outs[i]), COL.causes[c], `${c} ${outs[i]}`, 594, "end"));
  svg.replaceChildren(g);
  svg.dataset.level = level;
  svg.dataset.week = w;
}

// ---------- people on the ladder ----------
const ROWS = ["partner", "advocate", "supporter", "client", "customer", "prospect", "with the rival"];
function rowOf(s) { return s === -1 ? 6 : s === 0 ? 5 : 5 - s; }
function drawPeople(run, w) {
  const svg = $("#people");
  const p = run.people;
  if (!svg.dataset.ready) {
    svg.append(svgEl("text", { x: 4, y: 14, "font-size": 13, fill: "#555" }, "60 people; a ring: left that week, coloured by cause"));
    ROWS.forEach((r, i) => {
      const y = 30 + i * 31;
      svg.append(svgEl("rect", { x: 0, y: y - 11, width: 420, height: 29, fill: i % 2 ? "#fafafa" : "#f1f1f1" }));
      svg.append(svgEl("text", { x: 4, y: y + 8, "font-size": 13, fill: "#333" }, r));
    });
    svg.append(svgEl("g", { id: "people-dots" }));
    svg.append(svgEl("g", { id: "people-rings" }));
    svg.dataset.ready = "1";
  }
  const dots = $("#people-dots");
  while (dots.childElementCount < p.state.length) dots.append(svgEl("circle", { r: 5.5, class: "person" }));
  while (dots.childElementCount > p.state.length) dots.lastChild.remove();
  const colourOf = (s) => (s >= 1 ? COL.rungs[RUNGS[s - 1]] : s === 0 ? "#ffffff" : "#9aa5b1");
  const counts = new Array(ROWS.length).fill(0);
  [...dots.children].forEach((c, i) => {
    const s = p.state[i][w];
    const row = rowOf(s);
    const x = 118 + (i % 30) * 10.2;
    const y = 30 + row * 31 + (i >= 30 ? 9 : -1);
    c.style.transform = `translate(${x}px, ${y}px)`;
    c.setAttribute("fill", colourOf(s));
    c.setAttribute("stroke", "#555");
    c.setAttribute("stroke-width", s === 0 ? 1 : 0.5);
    counts[row]++;
  });
  const rings = $("#people-rings");
  rings.replaceChildren();
  for (const [i, week, cause] of p.left) {
    if (week !== w) continue;
    const x = 118 + (i % 30) * 10.2;
    const y = 30 + rowOf(p.state[i][Math.max(0, w - 1)]) * 31 + (i >= 30 ? 9 : -1);
    rings.append(svgEl("circle", { cx: x, cy: y, r: 9, fill: "none", stroke: COL.causes[cause], "stroke-width": 3 }));
  }
  svg.dataset.week = w;
}

function drawFrame() {
  const run = state.run;
  if (!run) return;
  const w = state.week;
  drawBucket(run, w);
  drawPeople(run, w);
  $("#week").value = w;
  $("#week-label").textContent = `wk ${w + 1}: ${new Date(run.weeks[w]).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })}`;
  const flows = $("#flows");
  if (flows.data) Plotly.relayout(flows, { "shapes[0].x0": run.weeks[w], "shapes[0].x1": run.weeks[w] });
}

function play(on) {
  state.playing = on;
  $("#play").innerHTML = on ? "&#10074;&#10074; pause" : "&#9654; play";
  $("#play").classList.toggle("on", on);
  clearTimeout(state.timer);
  if (!on) return;
  const last = state.run.weeks.length - 1;
  if (state.week >= last) state.week = 0;
  const tick = () => {
    if (!state.playing) return;
    if (state.week >= last) { play(false); return; }
    state.week++;
    drawFrame();
    state.timer = setTimeout(tick, 1000 / Number($("#speed").value));
  };
  drawFrame();
  state.timer = setTimeout(tick, 1000 / Number($("#speed").value));
}

function stepBy(d) {
  if (!state.run) return;
  play(false);
  state.week = Math.min(Math.max(state.week + d, 0), state.run.weeks.length - 1);
  drawFrame();
}

// ---------- lesson ----------
function leaveLesson() {
  if (state.step < 0 || $("#lesson-band").hidden) return;
  $("#lesson-band").hidden = true;
  const more = state.step + 1 < CONFIG.steps.length ? " (\u25B6 goes on)" : "";
  $("#lesson-title").textContent = `Lesson: left at step ${state.step + 1} of ${CONFIG.steps.length}${more}`;
  $("#lesson-next").disabled = !more;
}

function showStep(i) {
  const steps = CONFIG.steps;
  state.step = i;
  const s = steps[i];
  $("#lesson-band").hidden = false;
  $("#lesson-title").textContent = `Lesson ${i + 1}/${steps.length}: ${s.title}`;
  $("#lesson-step").textContent = `${s.title}.`;
  $("#lesson-notice").textContent = s.notice;
  $("#lesson-question").textContent = s.question;
  $("#lesson-prev").disabled = i === 0;
  $("#lesson-next").disabled = i === steps.length - 1;
  setLevers(s.levers);
  apply(`step ${i + 1}: ${s.title.toLowerCase()}`);
}

// ---------- start ----------
function init() {
  buildLevers();
  const presets = $("#presets");
  for (const [name, levers] of Object.entries(CONFIG.presets)) {
    const b = el("button", { type: "button", id: `preset-${name}`, title: describe(levers) }, name);
    b.addEventListener("click", () => { leaveLesson(); setLevers(levers); apply(`${name} strategy`); });
    presets.append(b);
  }
  $("#apply").addEventListener("click", () => { if (!readLevers()[1]) leaveLesson(); apply(); });
  $("#pin").addEventListener("click", () => {
    if (!state.run || state.pinned.length >= MAX_PINS) return;
    state.pinned.push({ run: state.run, name: state.name, colour: PIN_COLOURS[state.pinned.length] });
    $("#pin").disabled = state.pinned.length >= MAX_PINS;
    setMsg(`Pinned: ${state.name} (${state.pinned.length} of ${MAX_PINS}).`);
    drawAll(false);
  });
  $("#play").addEventListener("click", () => play(!state.playing));
  $("#speed").addEventListener("input", () => { $("#speed-value").textContent = `${$("#speed").value} wk/s`; });
  $("#step").addEventListener("click", () => stepBy(1));
  $("#step-back").addEventListener("click", () => stepBy(-1));
  $("#week").addEventListener("input", () => { play(false); state.week = Number($("#week").value); drawFrame(); });
  const hz = $("#horizon");
  for (let y = 1; y <= 10; y++) hz.append(el("option", { value: y }, `${y} year${y > 1 ? "s" : ""}`));
  hz.value = String(state.horizon);
  hz.addEventListener("change", () => { state.horizon = Number(hz.value); state.scale.money = 0; drawAll(false); });
  $("#lesson-title").textContent = `Lesson: ${CONFIG.steps.length} steps`;
  $("#lesson-prev").addEventListener("click", () => showStep(Math.max(0, state.step - 1)));
  $("#lesson-next").addEventListener("click", () => showStep(Math.min(CONFIG.steps.length - 1, state.step + 1)));
  $("#lesson-prev").disabled = true;
  const dl = $("#glossary-list");
  for (const [term, text] of CONFIG.glossary) dl.append(el("dt", {}, term), el("dd", {}, text));
  $("#about-text").innerHTML = CONFIG.about;
  document.addEventListener("keydown", (e) => {
    if (e.key === " " && !["INPUT", "SELECT", "BUTTON", "TEXTAREA"].includes(document.activeElement.tagName)) { e.preventDefault(); play(!state.playing); }
  });
  apply("default levers").then(() => {
    if (RUNS) setMsg(`Exported page: ${RUNS.length} precomputed runs, no server needed.`);
  });
}
init();
