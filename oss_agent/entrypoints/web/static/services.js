/* Services: the service inventory (refreshed every 5 s) with state, configuration sync and availability;
   one service's characteristics, the resources it rides on (linked to the topology and the charts),
   what it put on each device, its checks and orders; check, suspend, resume, redeploy, terminate. */
"use strict";
(function () {
  const { api, el, time, ago, toast } = window.Console;
  const P = window.Provisioning;
  const POLL_MS = 5000;
  const params = new URLSearchParams(location.search);
  const state = { services: [], view: "live", search: "", selected: params.get("service"), busy: false, seen: null };
  const tbody = document.querySelector("#services tbody");
  const panel = document.getElementById("detail");
  const LIVE = new Set(["active", "inactive", "reserved"]);

  const customer = (s) => s.characteristics.customer || "";
  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(3)} %`);
  const sync = (v, detail) => (v === true ? el("span", { class: "state good" }, "in sync") : v === false ? el("span", { class: "state bad", title: detail }, "OUT OF SYNC") : el("span", { class: "muted" }, "not checked"));

  function matches(s) {
    if (state.view === "live" && !LIVE.has(s.state)) return false;
    if (state.search) {
      const text = `${s.id} ${s.name} ${s.spec} ${JSON.stringify(s.characteristics)} ${s.resources.join(" ")}`.toLowerCase();
      return state.search.toLowerCase().split(/\s+/).every((w) => text.includes(w));
    }
    return true;
  }

  function row(s) {
    return el("tr", { class: state.selected === s.id ? "selected" : "", dataset: { id: s.id, state: s.state }, onclick: () => select(s.id) },
      el("td", {}, P.pill(s.state)),
      el("td", {}, el("strong", {}, s.name), el("div", { class: "muted small mono", title: s.id }, s.id.slice(0, 8))),
      el("td", {}, s.spec),
      el("td", {}, customer(s)),
      el("td", {}, sync(s.in_sync, s.sync_detail)),
      el("td", { class: "num" }, pct(s.availability)),
      el("td", { class: "wrap" }, ...s.resources.filter((r) => r.includes(":")).map((r) => [P.resourceLink(r), " "])));
  }

  function render() {
    const shown = state.services.filter(matches);
    tbody.replaceChildren(...(shown.length ? shown.map(row) : [el("tr", { class: "empty" }, el("td", { colspan: "7" }, state.services.length ? "No service matches." : "No service yet: submit an order on the Orders page."))]));
  }

  async function select(id) {
    state.selected = id; syncUrl(); render();
    await loadDetail();
  }

  async function loadDetail() {
    if (!state.selected) return;
    try { show(await api(`/data/services/${encodeURIComponent(state.selected)}`)); } catch (err) { panel.replaceChildren(el("h2", {}, "Service"), el("p", { class: "error" }, err.message)); }
  }

  async function act(label, work) {
    try {
      const order = await work();
      if (order.state === "rejected") toast(`${label} refused: ${((order.errorMessage || [])[0] || {}).message || "see the order"}`, true);
      else toast(`${label}: order ${order.id.slice(0, 8)} ${order.state}`);
      await refresh();
      await loadDetail();
    } catch (err) { toast(`${label}: ${err.message}`, true); }
  }

  async function check(id) {
    const button = document.getElementById("check");
    if (button) { button.disabled = true; button.textContent = "Checking…"; }
    try {
      const [report] = await api("/api/provisioning/v1/serviceCheck", { method: "POST", body: { service: id } });
      if (report.error) toast(`check: ${report.error}`, true);
      else toast(report.inSync ? `${report.name}: in sync` : `${report.name}: OUT OF SYNC (an alarm is raised)`, !report.inSync);
    } catch (err) { toast(`check: ${err.message}`, true); }
    await refresh();
    await loadDetail();
  }

  function show(s) {
    const isLive = s.state === "active" || s.state === "inactive";
    const actions = el("div", { class: "actions", id: "actions" },
      isLive ? el("button", { type: "button", id: "check", onclick: () => check(s.id) }, "Check configuration") : "",
      s.state === "active" ? el("button", { type: "button", id: "suspend", onclick: () => window.confirm(`Suspend ${s.name}? Its traffic stops until it is resumed.`) && act("suspend", () => P.modify(s.id, "inactive", `suspend ${s.name} (console)`)) }, "Suspend") : "",
      s.state === "inactive" ? el("button", { type: "button", id: "resume", class: "primary", onclick: () => act("resume", () => P.modify(s.id, "active", `resume ${s.name} (console)`)) }, "Resume") : "",
      isLive ? el("button", { type: "button", id: "redeploy", title: "put back what is missing of its configuration", onclick: () => act("redeploy", () => P.modify(s.id, null, `redeploy ${s.name} (console)`)) }, "Redeploy") : "",
      isLive ? el("button", { type: "button", id: "terminate", class: "danger", onclick: () => window.confirm(`Terminate ${s.name}? Its configuration is removed from every device.`) && act("terminate", () => P.terminate(s.id, `terminate ${s.name} (console)`)) }, "Terminate") : "");
    const byDevice = {};
    for (const r of s.renderings) (byDevice[r.device] = byDevice[r.device] || []).push(r);
    const devices = s.supporting_resources.filter((r) => !r.includes(":"));
    panel.replaceChildren(
      el("h2", {}, s.name, el("small", {}, P.pill(s.state))),
      el("dl", {},
        el("dt", {}, "id"), el("dd", { class: "mono" }, s.id),
        el("dt", {}, "specification"), el("dd", {}, s.spec_id),
        s.external_id ? [el("dt", {}, "externalId"), el("dd", {}, s.external_id)] : [],
        el("dt", {}, "configuration"), el("dd", {}, sync(s.in_sync, s.sync_detail), s.sync_detail ? el("div", { class: "muted small" }, s.sync_detail) : ""),
        el("dt", {}, "availability"), el("dd", {}, pct(s.availability), s.down_s ? el("span", { class: "muted" }, ` (${Math.round(s.down_s / 60)} min down)`) : ""),
        el("dt", {}, "created"), el("dd", {}, time(s.created_at)),
        el("dt", {}, "changed"), el("dd", {}, `${time(s.updated_at)} (${ago(s.updated_at)})`),
        el("dt", {}, "order"), el("dd", {}, P.orderLink(s.order_id))),
      actions,
      el("h3", {}, "Characteristics"),
      el("dl", { id: "characteristics" }, ...Object.entries(s.characteristics).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
      el("h3", {}, "Rides on"),
      el("div", { id: "resources", class: "chips" }, ...s.supporting_resources.map((r) => [P.resourceLink(r), " "])),
      devices.length ? el("p", { class: "muted small" }, "Alarms on them: ", ...devices.map((d, i) => [i ? ", " : "", el("a", { href: `${window.Console.root}/alarms?device=${encodeURIComponent(d)}` }, d)])) : "",
      el("h3", {}, "Last checks"),
      s.checks.length ? el("ul", { class: "plain" }, ...s.checks.map((c) => el("li", {}, c.ok ? el("span", { class: "state good" }, "ok") : el("span", { class: "state bad" }, "NOT OK"), " ", c.label, el("div", { class: "muted small" }, c.detail)))) : el("p", { class: "muted" }, "none"),
      el("h3", {}, "What it put on each device"),
      ...Object.entries(byDevice).map(([device, parts]) => el("details", { dataset: { device } }, el("summary", {}, device, el("span", { class: "muted" }, ` ${parts.map((p) => p.part).join(" + ")}`)),
        ...parts.map((p) => el("pre", { class: "diff" }, p.rendering)))),
      el("h3", {}, "Orders"),
      el("ul", { class: "plain", id: "service-orders" }, ...s.orders.map((o) => el("li", {}, P.pill(o.state), " ", P.orderLink(o.id), ` ${o.items.map((i) => i.action + (i.target_state ? " → " + i.target_state : "")).join(", ")} · ${ago(o.requested_at)}`))));
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      state.services = await api("/data/services");
      render();
      const current = state.services.find((s) => s.id === state.selected);
      const seen = current ? JSON.stringify([current.state, current.in_sync, current.updated_at]) : null;
      if (current && seen !== state.seen) { state.seen = seen; await loadDetail(); }
      window.Console.liveStatus();
    } catch (err) {
      window.Console.liveStatus(err);
    } finally { state.busy = false; }
  }

  function syncUrl() {
    history.replaceState(null, "", `${location.pathname}${state.selected ? "?service=" + encodeURIComponent(state.selected) : ""}`);
  }

  window.Console.viewButtons(state.view, (view) => { state.view = view; render(); });
  const search = document.getElementById("search");
  search.addEventListener("input", () => { state.search = search.value.trim(); render(); });
  document.getElementById("check-all").addEventListener("click", async (e) => {
    e.target.disabled = true;
    try {
      const reports = await api("/api/provisioning/v1/serviceCheck", { method: "POST", body: {} });
      const out = reports.filter((r) => !r.inSync);
      toast(reports.length ? (out.length ? `${out.length} of ${reports.length} out of sync: ${out.map((r) => r.name).join(", ")}` : `all ${reports.length} in sync`) : "no live service to check", out.length > 0);
    } catch (err) { toast(`check: ${err.message}`, true); }
    e.target.disabled = false;
    await refresh();
  });

  refresh();
  setInterval(refresh, POLL_MS);
})();
