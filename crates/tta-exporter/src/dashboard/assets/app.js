// The TTA.dev dashboard: polls /api/dashboard once a second and draws the
// panels with uPlot, the recent runs as waterfalls and the registered
// workflows as trees. Every text from the server goes in with textContent,
// never as HTML.
"use strict";

(function () {
  const token = new URLSearchParams(location.search).get("token");
  const MAX_POINTS = 900;

  // Each panel: a title, and either fixed series keys or a key prefix.
  const PANELS = [
    { id: "workflow_rate", title: "Workflow execution rate (runs/s)", keys: ["workflows/rate"] },
    { id: "success_failure", title: "Success vs failure (runs/s)", keys: ["workflows/success", "workflows/failure"] },
    { id: "latency", title: "Workflow latency p50 / p95 (ms)", keys: ["latency/p50_ms", "latency/p95_ms"] },
    { id: "active", title: "Active executions", keys: ["active/executions"] },
    { id: "by_primitive", title: "Executions by primitive (/s)", prefix: "primitive/" },
    { id: "cache_hit_rate", title: "Cache hit rate", keys: ["cache/hit_rate"] },
    { id: "retry_attempts", title: "Retry attempts by number (/s)", prefix: "retry/" },
    { id: "first_chunk", title: "Time to first chunk p95 (ms)", prefix: "first_chunk_p95_ms/" },
    { id: "latency_distribution", title: "Latency distribution (last 10 s)", bars: true },
    { id: "breakers", title: "Circuit breakers (0 closed, 1 half-open, 2 open)", prefix: "breaker/", breakers: true },
    { id: "tokens_by_model", title: "Tokens by model (/s)", prefix: "tokens_per_s/" },
    { id: "cost_by_model", title: "$ by model (per minute)", prefix: "usd_per_min/" },
    { id: "cache_saved", title: "$ saved by the cache (per minute)", keys: ["cache/saved_usd_per_min"] },
  ];
  const COLORS = ["#4c7bd9", "#d64545", "#2f9e6b", "#e0a526", "#8a5cd1", "#1fa2b8", "#c2549b", "#7a8a2e"];

  const state = { since: 0, runsVersion: null, times: [], series: {}, charts: {} };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function api(path, params) {
    const query = new URLSearchParams(params || {});
    if (token) query.set("token", token);
    return fetch(path + "?" + query.toString(), { cache: "no-store" }).then((response) => {
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    });
  }

  function buildPanels() {
    const root = document.getElementById("panels");
    for (const panel of PANELS) {
      const section = el("section", "panel");
      section.dataset.panel = panel.id;
      section.dataset.points = "0";
      section.appendChild(el("h3", null, panel.title));
      const chart = el("div", "chart");
      chart.appendChild(el("div", "empty", "waiting for data…"));
      section.appendChild(chart);
      if (panel.breakers) section.appendChild(el("ul", "breakers"));
      root.appendChild(section);
      panel.section = section;
      panel.chart = chart;
    }
  }

  // A labelled panel shows its busiest series only, so it stays readable.
  const MAX_LINES = 8;

  function keysOf(panel) {
    if (panel.keys) return panel.keys.filter((key) => key in state.series);
    const total = (key) => state.series[key].reduce((sum, v) => sum + (v || 0), 0);
    return Object.keys(state.series)
      .filter((key) => key.startsWith(panel.prefix))
      .sort((a, b) => total(b) - total(a))
      .slice(0, MAX_LINES)
      .sort();
  }

  function append(update) {
    const fresh = update.times || [];
    if (fresh.length === 0) return;
    const before = state.times.length;
    state.times.push(...fresh);
    for (const key of Object.keys(state.series)) {
      const values = update.series[key];
      state.series[key].push(...(values || fresh.map(() => null)));
    }
    for (const [key, values] of Object.entries(update.series || {})) {
      if (!(key in state.series)) state.series[key] = new Array(before).fill(null).concat(values);
    }
    const excess = state.times.length - MAX_POINTS;
    if (excess > 0) {
      state.times.splice(0, excess);
      for (const values of Object.values(state.series)) values.splice(0, excess);
    }
    state.since = state.times[state.times.length - 1];
  }

  function drawSeries(panel) {
    const keys = keysOf(panel);
    const points = keys.reduce((sum, key) => sum + state.series[key].filter((v) => v !== null).length, 0);
    panel.section.dataset.points = String(points);
    if (keys.length === 0 || typeof uPlot === "undefined") return;
    const signature = keys.join("\u0000");
    const data = [state.times.slice()].concat(keys.map((key) => state.series[key].slice()));
    let chart = state.charts[panel.id];
    if (!chart || chart.signature !== signature) {
      if (chart) chart.plot.destroy();
      panel.chart.textContent = "";
      const width = Math.max(panel.chart.clientWidth, 300);
      const series = [{}].concat(keys.map((key, index) => ({
        label: panel.prefix ? key.slice(panel.prefix.length) : key.split("/")[1],
        stroke: COLORS[index % COLORS.length],
        width: 1.5,
        spanGaps: false,
      })));
      const plot = new uPlot({ width: width, height: 170, series: series, legend: { live: false },
        axes: [{}, { size: 50 }], scales: { x: { time: true } } }, data, panel.chart);
      chart = state.charts[panel.id] = { plot: plot, signature: signature };
    } else {
      chart.plot.setData(data);
    }
  }

  function drawBars(panel, distribution) {
    const bars = distribution || [];
    const points = bars.filter((bar) => bar.count > 0).length;
    panel.section.dataset.points = String(points);
    panel.chart.textContent = "";
    if (points === 0) {
      panel.chart.appendChild(el("div", "empty", "no executions in the last 10 s"));
      return;
    }
    const max = Math.max.apply(null, bars.map((bar) => bar.count));
    const box = el("div", "bars");
    for (const bar of bars) {
      const column = el("div", "col");
      column.title = bar.count + " executions ≤ " + bar.le_ms + " ms";
      const fill = el("div", "fill");
      fill.style.height = (100 * bar.count / max) + "%";
      column.appendChild(fill);
      column.appendChild(el("div", "tick", bar.le_ms === "+Inf" ? "∞" : formatMs(bar.le_ms)));
      box.appendChild(column);
    }
    panel.chart.appendChild(box);
  }

  function drawBreakers(panel, breakers) {
    const list = panel.section.querySelector(".breakers");
    list.textContent = "";
    for (const breaker of breakers || []) {
      const item = el("li", "state-" + breaker.state, breaker.name + ": " + breaker.state);
      list.appendChild(item);
    }
  }

  function formatMs(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms >= 1000) return (ms / 1000).toFixed(1) + " s";
    if (ms >= 10) return ms.toFixed(0) + " ms";
    return ms.toFixed(2) + " ms";
  }

  function drawRuns(runs) {
    const root = document.getElementById("runs");
    root.textContent = "";
    root.dataset.runs = String(runs.length);
    if (runs.length === 0) {
      root.appendChild(el("p", "muted", "Runs appear here while this page is open."));
      return;
    }
    for (const run of runs.slice(0, 25)) {
      const box = el("div", "run");
      box.dataset.spans = String(run.spans.length);
      const head = el("div", "run-head");
      head.appendChild(el("span", "name", run.name));
      head.appendChild(el("span", run.status === "ok" ? "ok" : "error-text", run.status));
      head.appendChild(el("span", null, formatMs(run.duration_ms)));
      head.appendChild(el("span", "muted", new Date(run.started_unix * 1000).toLocaleTimeString()));
      head.appendChild(el("span", "muted", run.trace_id ? "trace " + run.trace_id : "not exported"));
      if (run.spans_cut > 0) head.appendChild(el("span", "muted", run.spans_cut + " spans not shown"));
      box.appendChild(head);
      const total = Math.max(run.duration_ms, 0.001);
      for (const span of run.spans) {
        const row = el("div", "row" + (span.status === "error" ? " error" : ""));
        const label = el("div", "label", "\u00a0".repeat(span.depth * 3) + span.name);
        label.title = span.name + (span.kind ? " (" + span.kind + ")" : "");
        row.appendChild(label);
        const track = el("div", "track");
        const bar = el("div", "span");
        bar.style.left = Math.min(100, 100 * span.offset_ms / total) + "%";
        bar.style.width = Math.max(0.3, 100 * span.duration_ms / total) + "%";
        track.appendChild(bar);
        row.appendChild(track);
        row.appendChild(el("div", span.status === "error" ? "err" : "muted", formatMs(span.duration_ms)));
        box.appendChild(row);
        if (span.error) {
          const message = el("div", "row error");
          message.appendChild(el("div", "err", "\u00a0".repeat(span.depth * 3 + 3) + span.error));
          box.appendChild(message);
        }
      }
      root.appendChild(box);
    }
  }

  function drawGraphs(graphs) {
    const root = document.getElementById("graphs");
    if (graphs.length === 0) return;
    root.textContent = "";
    root.dataset.graphs = String(graphs.length);
    for (const graph of graphs) {
      const box = el("div", "graph");
      box.appendChild(el("h3", null, graph.name));
      const lists = [];
      graph.nodes.forEach((node, index) => {
        const item = el("li");
        const card = el("span", "node");
        card.dataset.node = node.name;
        card.appendChild(el("span", null, node.name));
        card.appendChild(el("span", "kind", node.kind));
        card.appendChild(el("span", null, node.rate === null ? "– /s" : node.rate.toFixed(2) + " /s"));
        card.appendChild(el("span", node.error_ratio ? "error-text" : null,
          node.error_ratio === null ? "– err" : (100 * node.error_ratio).toFixed(1) + "% err"));
        card.appendChild(el("span", null, "p95 " + formatMs(node.p95_ms)));
        item.appendChild(card);
        const list = el("ul");
        item.appendChild(list);
        lists[index] = list;
        (node.parent === null ? box.appendChild(el("ul")) : lists[node.parent]).appendChild(item);
      });
      for (const [label, text] of [["Mermaid", graph.mermaid], ["DOT", graph.dot]]) {
        const details = el("details");
        details.appendChild(el("summary", null, label));
        details.appendChild(el("pre", null, text));
        box.appendChild(details);
      }
      root.appendChild(box);
    }
  }

  function refresh() {
    const params = { since: state.since };
    if (state.runsVersion !== null) params.runs = state.runsVersion;
    return api("/api/dashboard", params).then((update) => {
      append(update);
      for (const panel of PANELS) {
        if (panel.bars) drawBars(panel, update.distribution);
        else drawSeries(panel);
        if (panel.breakers) drawBreakers(panel, update.breakers);
      }
      if (update.runs) {
        state.runsVersion = update.runs_version;
        drawRuns(update.runs);
      }
      document.getElementById("runs-note").textContent = update.capturing ? "(collecting while this page is open)" : "";
      document.getElementById("status").textContent = "live · " + new Date().toLocaleTimeString();
      return api("/api/graphs");
    }).then(drawGraphs).catch((error) => {
      document.getElementById("status").textContent = "disconnected: " + error.message;
    });
  }

  function loop() {
    refresh().finally(() => setTimeout(loop, 1000));
  }

  buildPanels();
  loop();
})();
