/* Performance: an interface's rates, utilisation and errors, and a latency probe's round trips, as uPlot
   charts over a chosen range. Series come from /perf/v1 (raw samples for short ranges, the 5-minute or
   1-hour rollups for long ones); the selection lives in the URL so a view can be shared. */
"use strict";
(function () {
  const { api, bits, toast, el } = window.Console;
  const data = JSON.parse(document.getElementById("perf-data").textContent);
  const params = new URLSearchParams(location.search);
  const deviceSel = document.getElementById("device");
  const ifSel = document.getElementById("interface");
  const probeSel = document.getElementById("probe");
  const devices = Object.keys(data.interfaces);
  const state = {
    device: devices.includes(params.get("device")) ? params.get("device") : devices[0],
    iface: params.get("interface"),
    range: Number(params.get("range")) || 3600,
    probe: params.get("probe") || data.probes[0] || "",
  };
  window.consoleCharts = {};  // the drawn charts, by name (tests read how many points each series drew)

  const resolutionFor = (range) => (range <= 21600 ? "raw" : range <= 7 * 86400 ? "5m" : "1h");
  const COLORS = { in: "#2563eb", out: "#16a34a", a: "#dc2626", b: "#9333ea", c: "#ea580c", d: "#0891b2" };

  function fillInterfaces() {
    const list = data.interfaces[state.device] || [];
    ifSel.replaceChildren(...list.map((i) => el("option", { value: i.name }, i.name)));
    if (!list.some((i) => i.name === state.iface)) {
      const busy = list.find((i) => /^(eth|ge|xe|et|Gi|Te)/.test(i.name)) || list[0];
      state.iface = busy ? busy.name : null;
    }
    ifSel.value = state.iface || "";
    const speed = (list.find((i) => i.name === state.iface) || {}).speed;
    document.getElementById("speed").textContent = speed ? `of ${bits(speed)}` : "speed unknown";
  }

  async function series(metric) {
    const since = Math.floor(Date.now() / 1000 - state.range);
    const q = new URLSearchParams({ device: state.device, interface: state.iface, metric, since, resolution: resolutionFor(state.range) });
    return (await api(`/api/perf/v1/series?${q}`)).points;
  }

  function align(lists) {
    const times = [...new Set(lists.flatMap((l) => l.map((p) => p.ts)))].sort((a, b) => a - b);
    return [times, ...lists.map((l) => { const m = new Map(l.map((p) => [p.ts, p.value])); return times.map((t) => (m.has(t) ? m.get(t) : null)); })];
  }

  function draw(name, target, seriesDefs, aligned, axis) {
    const node = document.getElementById(target);
    if (window.consoleCharts[name]) window.consoleCharts[name].destroy();
    node.replaceChildren();
    if (!aligned[0].length) {
      const res = resolutionFor(state.range);
      node.append(el("p", { class: "muted", style: "padding:40px;text-align:center" }, res === "raw"
        ? "No data in this range yet."
        : `No ${res === "5m" ? "5-minute" : "hourly"} averages in this range yet: they appear once such a period has ended.`));
      window.consoleCharts[name] = null;
      return;
    }
    const now = Date.now() / 1000;
    const range = state.range;  // as asked for this drawing, not whatever is chosen later
    const opts = {
      width: Math.max(300, node.clientWidth), height: 240,
      scales: { x: { time: true, range: () => [now - range, now] }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { values: (u, vals) => vals.map((v) => axis(v, vals.length > 1 ? Math.abs(vals[1] - vals[0]) : 0)), size: 86 }],
      series: [{}, ...seriesDefs.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.fill, value: (u, v) => (v === null || v === undefined ? "–" : axis(v)), spanGaps: false, points: { show: aligned[0].length < 60 } }))],
      legend: { live: true },
    };
    window.consoleCharts[name] = new uPlot(opts, aligned, node);
    window.consoleCharts[name].range = range;
  }

  // decimals enough to tell two neighbouring axis ticks apart (a tick step of 0.0004 needs 4)
  const places = (step, fallback) => (step > 0 ? Math.min(8, (String(+step.toPrecision(6)).split(".")[1] || "").length) : fallback);
  const pct = (v, step) => `${(v * 100).toFixed(step === undefined ? 3 : places(step * 100, 2))} %`;
  const perSecond = (v, step) => v.toFixed(step === undefined ? 2 : places(step, 2));
  const ms = (v, step) => `${v.toFixed(step === undefined ? 3 : places(step, 2))} ms`;

  async function drawInterface() {
    if (!state.device || !state.iface) return;
    document.getElementById("title-rate").textContent = `Throughput, ${state.device} ${state.iface}`;
    document.getElementById("res-rate").textContent = `${resolutionFor(state.range) === "raw" ? "every poll" : resolutionFor(state.range) + " averages"}`;
    try {
      const [inBps, outBps, inUtil, outUtil, ie, oe, id, od] = await Promise.all(
        ["in_bps", "out_bps", "in_util", "out_util", "in_errors_ps", "out_errors_ps", "in_discards_ps", "out_discards_ps"].map(series));
      draw("rate", "chart-rate", [{ label: "in", color: COLORS.in, fill: "rgba(37,99,235,.08)" }, { label: "out", color: COLORS.out }], align([inBps, outBps]), bits);
      draw("util", "chart-util", [{ label: "in", color: COLORS.in }, { label: "out", color: COLORS.out }], align([inUtil, outUtil]), pct);
      draw("errors", "chart-errors", [{ label: "in errors", color: COLORS.a }, { label: "out errors", color: COLORS.b }, { label: "in discards", color: COLORS.c }, { label: "out discards", color: COLORS.d }], align([ie, oe, id, od]), perSecond);
    } catch (err) { toast(err.message, true); }
  }

  async function drawLatency() {
    if (!state.probe) { draw("latency", "chart-latency", [], [[]], ms); return; }
    const since = Math.floor(Date.now() / 1000 - state.range);
    const q = new URLSearchParams({ probe: state.probe, since, resolution: resolutionFor(state.range) });
    try {
      const points = (await api(`/api/perf/v1/latency/series?${q}`)).points;
      const times = points.map((p) => p.ts);
      draw("latency", "chart-latency", [{ label: "mean RTT", color: COLORS.in }, { label: "max RTT", color: COLORS.a }],
        [times, points.map((p) => p.value), points.map((p) => p.max)], ms);
    } catch (err) { toast(err.message, true); }
  }

  function syncUrl() {
    const q = new URLSearchParams({ device: state.device || "", interface: state.iface || "", range: state.range });
    if (state.probe) q.set("probe", state.probe);
    history.replaceState(null, "", `${location.pathname}?${q}${location.hash}`);
  }
  function redraw() { syncUrl(); drawInterface(); drawLatency(); }

  deviceSel.value = state.device || "";
  deviceSel.addEventListener("change", () => { state.device = deviceSel.value; fillInterfaces(); redraw(); });
  ifSel.addEventListener("change", () => { state.iface = ifSel.value; fillInterfaces(); redraw(); });
  if (probeSel) { probeSel.value = state.probe; probeSel.addEventListener("change", () => { state.probe = probeSel.value; syncUrl(); drawLatency(); }); }
  for (const b of document.querySelectorAll("#range button")) {
    b.classList.toggle("on", Number(b.dataset.range) === state.range);
    b.addEventListener("click", () => {
      state.range = Number(b.dataset.range);
      for (const o of document.querySelectorAll("#range button")) o.classList.toggle("on", o === b);
      redraw();
    });
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(redraw, 200); });
  fillInterfaces();
  redraw();
  setInterval(() => { if (state.range <= 21600) { drawInterface(); drawLatency(); } }, 30000);
})();
