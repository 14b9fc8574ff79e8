/* Orders: the service orders with each device's progress (refreshed every 2 s), one order's detail (its
   devices' changes and diffs, the checks, cancel while allowed), and a new order: a form built from the
   catalog's specification, previewed as a dry run (each device's change) before it is submitted. */
"use strict";
(function () {
  const { api, el, time, ago, toast } = window.Console;
  const P = window.Provisioning;
  const POLL_MS = 2000;
  const params = new URLSearchParams(location.search);
  const state = { orders: [], view: "all", search: "", selected: params.get("order"), detail: null, seen: null, mode: params.get("new") !== null ? "new" : "order", busy: false, catalog: null, form: null };
  const tbody = document.querySelector("#orders tbody");
  const panel = document.getElementById("detail");
  const FINAL = new Set(["completed", "failed", "rejected", "cancelled", "partial"]);

  function matches(o) {
    if (state.view === "flight" && FINAL.has(o.state)) return false;
    if (state.view === "failed" && !["failed", "rejected", "partial"].includes(o.state)) return false;
    if (state.search) {
      const text = `${o.id} ${o.external_id || ""} ${o.description || ""} ${P.items(o)} ${o.items.map((i) => JSON.stringify(i.characteristics)).join(" ")}`.toLowerCase();
      return state.search.toLowerCase().split(/\s+/).every((w) => text.includes(w));
    }
    return true;
  }

  function row(o) {
    return el("tr", { class: state.selected === o.id && state.mode === "order" ? "selected" : "", dataset: { id: o.id, state: o.state }, onclick: () => select(o.id) },
      el("td", {}, P.pill(o.state)),
      el("td", { class: "mono", title: o.id }, o.id.slice(0, 8), o.external_id ? el("div", { class: "muted small" }, o.external_id) : ""),
      el("td", { class: "wrap" }, P.items(o), o.description ? el("div", { class: "muted small" }, o.description) : ""),
      el("td", {}, o.devices.length ? P.chips(o.devices) : el("span", { class: "muted" }, o.state === "rejected" ? "refused: nothing planned" : FINAL.has(o.state) ? "–" : "waiting")),
      el("td", { title: time(o.requested_at) }, ago(o.requested_at)),
      el("td", { title: time(o.completed_at) }, o.completed_at ? ago(o.completed_at) : ""));
  }

  function render() {
    const shown = state.orders.filter(matches);
    tbody.replaceChildren(...(shown.length ? shown.map(row) : [el("tr", { class: "empty" }, el("td", { colspan: "6" }, state.orders.length ? "No order matches." : "No service order yet: New order starts one."))]));
  }

  async function select(id) {
    state.selected = id; state.mode = "order"; syncUrl(); render();
    await loadDetail();
  }

  async function loadDetail() {
    if (state.mode !== "order" || !state.selected) return;
    try {
      state.detail = await api(`/data/orders/${encodeURIComponent(state.selected)}`);
      showOrder(state.detail);
    } catch (err) { panel.replaceChildren(el("h2", {}, "Order"), el("p", { class: "error" }, err.message)); }
  }

  function showOrder(o) {
    if (state.mode !== "order") return;
    const openDiffs = new Set([...panel.querySelectorAll("details[open][data-device]")].map((d) => d.dataset.device));
    const devices = o.resource_orders.map((r) => el("div", { class: "device", dataset: { device: r.device, phase: r.phase } },
      el("div", { class: "device-head" }, el("strong", {}, r.device), el("span", { class: "muted" }, ` ${r.platform}`), P.steps(r.phase, r.error)),
      r.error ? el("p", { class: "error" }, r.error) : "",
      el("details", { dataset: { device: r.device }, open: openDiffs.has(r.device) },
        el("summary", {}, `change: ${r.change_cli.length} CLI line${r.change_cli.length === 1 ? "" : "s"}${r.change_netconf ? " and a NETCONF edit" : ""}; diff`),
        P.diff(r.diff))));
    const checks = o.checks.length ? el("table", { class: "data compact" },
      el("thead", {}, el("tr", {}, el("th", {}, "check"), el("th", {}, "phase"), el("th", {}, "result"))),
      el("tbody", {}, ...o.checks.map((c) => el("tr", {}, el("td", { title: c.detail }, c.label), el("td", {}, c.phase === "before" ? "before" : "after"),
        el("td", {}, c.ok ? el("span", { class: "state good" }, c.expected === "fail" ? "fails, as expected" : "ok") : el("span", { class: "state bad", title: c.detail }, "NOT OK")))))) : el("p", { class: "muted" }, "none yet");
    const errors = (o.errors || []).map((e) => el("li", {}, e.referenceError ? el("code", {}, e.referenceError) : "", e.referenceError ? ": " : "", e.message));
    const cancel = o.cancellable ? el("button", { type: "button", class: "danger", id: "cancel", onclick: () => cancelOrder(o) }, "Cancel order") : "";
    panel.replaceChildren(
      el("h2", {}, `Order ${o.id.slice(0, 8)}`, el("small", {}, P.pill(o.state))),
      el("dl", {},
        el("dt", {}, "id"), el("dd", { class: "mono" }, o.id),
        o.external_id ? [el("dt", {}, "externalId"), el("dd", {}, o.external_id)] : [],
        o.description ? [el("dt", {}, "description"), el("dd", {}, o.description)] : [],
        el("dt", {}, "ordered"), el("dd", {}, P.when(o.requested_at)),
        o.requested_start ? [el("dt", {}, "start asked"), el("dd", {}, P.when(o.requested_start))] : [],
        el("dt", {}, "started"), el("dd", {}, P.when(o.started_at)),
        el("dt", {}, "commit began"), el("dd", {}, o.commit_started_at ? time(o.commit_started_at) : o.final ? "never" : "not yet (it can be cancelled)"),
        el("dt", {}, "ended"), el("dd", {}, P.when(o.completed_at)),
        o.cancellation_reason ? [el("dt", {}, "cancelled"), el("dd", {}, o.cancellation_reason)] : []),
      cancel,
      el("h3", {}, "Items"),
      el("ul", { class: "plain" }, ...o.items.map((i) => el("li", { dataset: { item: i.id } }, P.pill(i.state), " ", `${i.action} ${i.spec || ""} `,
        i.service_id ? el("a", { href: `${window.Console.root}/services?service=${encodeURIComponent(i.service_id)}` }, i.service_name || i.service_id.slice(0, 8)) : (i.service_name || ""),
        i.target_state ? ` → ${i.target_state}` : "", i.error ? el("div", { class: "error" }, i.error) : ""))),
      ...(errors.length ? [el("h3", {}, "Why it was refused or failed"), el("ul", { class: "plain" }, ...errors)] : []),
      el("h3", {}, "Devices (TMF652 resource orders)"),
      devices.length ? el("div", { id: "devices" }, ...devices) : el("p", { class: "muted" }, o.state === "rejected" ? "The order was refused before any device was planned." : o.final ? "No device was planned." : "Not planned yet."),
      el("h3", {}, "Checks"), checks);
  }

  async function cancelOrder(o) {
    const reason = window.prompt("Why cancel this order? (recorded with the cancellation)", "") ;
    if (reason === null) return;
    try {
      const answer = await P.cancel(o.id, reason);
      if (answer.state === "done") toast(`order ${o.id.slice(0, 8)} cancelled`);
      else toast(`not cancelled: ${(answer.errorMessage || {}).message || answer.state}`, true);
    } catch (err) { toast(`cancel: ${err.message}`, true); }
    await refresh();
  }

  // --- a new order ---------------------------------------------------------------------------------

  async function newOrder(example) {
    state.mode = "new"; state.selected = null; syncUrl(); render();
    if (!state.catalog) {
      try { state.catalog = await api("/data/catalog"); } catch (err) { toast(err.message, true); return; }
    }
    const cat = state.catalog;
    const specSelect = el("select", { id: "spec", "aria-label": "Service specification" }, ...cat.specs.map((s) => el("option", { value: s.id }, s.name)));
    const exampleSelect = el("select", { id: "example", "aria-label": "Load an example order" }, el("option", { value: "" }, "start from an example…"),
      ...cat.examples.map((e) => el("option", { value: e.name }, e.name)));
    const fields = el("div", { class: "form-grid", id: "characteristics" });
    const general = {
      name: el("input", { id: "f-name", type: "text", maxlength: "128", placeholder: "e.g. acme-interconnect" }),
      externalId: el("input", { id: "f-externalId", type: "text", maxlength: "128", placeholder: "your reference (an order with it again is not made twice)" }),
      description: el("input", { id: "f-description", type: "text", maxlength: "200" }),
      start: el("input", { id: "f-start", type: "datetime-local", title: "empty: now" }),
    };
    const preview = el("div", { id: "preview" }, el("p", { class: "muted" }, "Preview first: it shows each device's change and takes nothing."));
    const previewButton = el("button", { type: "button", id: "preview-order", onclick: () => previewOrder() }, "Preview (dry run)");
    const submitButton = el("button", { type: "submit", class: "primary", id: "submit-order", disabled: true, title: "preview the order first" }, "Submit order");
    const form = el("form", { id: "order-form", onsubmit: (e) => { e.preventDefault(); submitOrder(); }, oninput: () => invalidate() },
      el("div", { class: "form-grid" },
        el("label", { for: "example" }, "Example"), exampleSelect,
        el("label", { for: "spec" }, "Specification"), specSelect,
        el("label", { for: "f-name" }, "Service name"), general.name,
        el("label", { for: "f-externalId" }, "External id"), general.externalId,
        el("label", { for: "f-description" }, "Description"), general.description,
        el("label", { for: "f-start" }, "Start at"), general.start),
      el("h3", {}, "Characteristics"), fields,
      el("div", { class: "actions" }, previewButton, submitButton, el("button", { type: "button", onclick: () => { state.mode = "order"; syncUrl(); panel.replaceChildren(el("h2", {}, "Service orders"), el("p", { class: "muted" }, "Select an order.")); } }, "Close")),
      preview);
    state.form = { specSelect, fields, general, preview, submitButton, previewed: null };

    function drawFields(values = {}) {
      const spec = cat.specs.find((s) => s.id === specSelect.value);
      fields.replaceChildren(...spec.characteristics.flatMap((c) => {
        const id = `c-${c.name}`;
        let input;
        if (c.type === "site") {
          input = el("select", { id, name: c.name }, el("option", { value: "" }, "choose a site"), ...cat.sites.map((s) => el("option", { value: s }, s)));
        } else if (c.values && c.values.length) {
          input = el("select", { id, name: c.name }, ...c.values.map((v) => el("option", { value: v }, v)));
        } else {
          const numeric = c.type === "integer" || c.type === "asn";
          input = el("input", { id, name: c.name, type: numeric ? "number" : "text", min: c.minimum, max: c.maximum, placeholder: c.type === "ipv4-prefix" ? "e.g. 198.18.2.0/24" : "" });
        }
        input.dataset.type = c.type;
        const value = values[c.name] !== undefined ? values[c.name] : c.default;
        if (value !== undefined && value !== null) input.value = String(value);
        return [el("label", { for: id, title: c.description }, c.name, c.required ? el("span", { class: "req", title: "required" }, " *") : ""), el("div", {}, input, c.description ? el("div", { class: "hint" }, c.description) : "")];
      }));
    }
    specSelect.addEventListener("change", () => drawFields());
    exampleSelect.addEventListener("change", () => {
      const ex = cat.examples.find((e) => e.name === exampleSelect.value);
      if (!ex) return;
      const item = ex.order.serviceOrderItem[0] || {};
      const svc = item.service || {};
      specSelect.value = (svc.serviceSpecification || {}).id || specSelect.value;
      general.name.value = svc.name || "";
      general.externalId.value = ex.order.externalId || "";
      general.description.value = ex.order.description || "";
      drawFields(Object.fromEntries((svc.serviceCharacteristic || []).map((c) => [c.name, c.value])));
      invalidate();
    });
    drawFields();
    panel.replaceChildren(el("h2", {}, "New service order", el("small", {}, "TMF641")), form);
    if (example) { exampleSelect.value = example; exampleSelect.dispatchEvent(new Event("change")); }
  }

  function body() {
    const f = state.form;
    const characteristics = [...f.fields.querySelectorAll("[name]")].filter((i) => i.value !== "").map((i) => ({
      name: i.name, value: (i.dataset.type === "integer" || i.dataset.type === "asn") && /^-?\d+$/.test(i.value) ? Number(i.value) : i.value,
    }));
    const service = { serviceSpecification: { id: f.specSelect.value }, serviceCharacteristic: characteristics };
    if (f.general.name.value.trim()) service.name = f.general.name.value.trim();
    const order = { serviceOrderItem: [{ id: "1", action: "add", service }] };
    if (f.general.externalId.value.trim()) order.externalId = f.general.externalId.value.trim();
    if (f.general.description.value.trim()) order.description = f.general.description.value.trim();
    if (f.general.start.value) order.requestedStartDate = new Date(f.general.start.value).toISOString();
    return order;
  }

  function invalidate() {
    const f = state.form;
    if (!f || f.previewed === null) return;
    f.previewed = null;
    f.submitButton.disabled = true;
    f.preview.prepend(el("p", { class: "warn" }, "Changed since the preview: preview again before submitting."));
  }

  async function previewOrder() {
    const f = state.form;
    const order = body();
    f.preview.replaceChildren(el("p", { class: "muted" }, "Reading each device's running configuration…"));
    try {
      const result = await api("/api/provisioning/v1/dryRun", { method: "POST", body: order });
      if (result.problems.length) {
        f.preview.replaceChildren(el("h3", {}, "It would be refused"), el("ul", { class: "plain", id: "problems" }, ...result.problems.map((p) => el("li", { class: "error" }, el("code", {}, p.field), ": ", p.message))));
        return;
      }
      const unread = result.devices.filter((d) => d.error);
      f.preview.replaceChildren(
        el("h3", {}, "Dry run: what it would change"),
        el("ul", { class: "plain" }, ...result.items.map((i) => el("li", {}, `${i.action} ${i.spec} → ${i.state} on ${i.devices.join(", ")}`,
          Object.keys(i.pool_values).length ? el("div", { class: "muted small" }, "pool values: ", Object.entries(i.pool_values).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ")) : ""))),
        ...result.devices.map((d) => el("div", { class: "device", dataset: { device: d.device } },
          el("div", { class: "device-head" }, el("strong", {}, d.device), el("span", { class: "muted" }, ` ${d.platform} · ${d.cli.length} CLI line${d.cli.length === 1 ? "" : "s"}${d.netconf ? " and a NETCONF edit" : ""}`)),
          d.error ? el("p", { class: "error" }, d.error) : P.diff(d.diff))));
      if (!unread.length) {
        f.previewed = JSON.stringify(order);
        f.submitButton.disabled = false;
        f.submitButton.title = "";
      }
    } catch (err) {
      f.preview.replaceChildren(el("p", { class: "error" }, err.message));
    }
  }

  async function submitOrder() {
    const f = state.form;
    const order = body();
    if (f.previewed !== JSON.stringify(order)) { toast("preview the order as it is now first", true); return; }
    f.submitButton.disabled = true;
    try {
      const created = await P.submit(order);
      if (created.state === "rejected") toast(`order ${created.id.slice(0, 8)} was refused: see why`, true);
      else toast(`order ${created.id.slice(0, 8)} ${created.state}`);
      await refresh();
      await select(created.id);
    } catch (err) {
      f.submitButton.disabled = false;
      toast(`not submitted: ${err.message}`, true);
    }
  }

  // --- refresh, filters ----------------------------------------------------------------------------

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      state.orders = await api("/data/orders");
      render();
      const current = state.orders.find((o) => o.id === state.selected);
      const seen = current ? JSON.stringify([current.state, current.devices, current.items]) : null;
      if (state.mode === "order" && current && seen !== state.seen) { state.seen = seen; await loadDetail(); }
      window.Console.liveStatus();
    } catch (err) {
      window.Console.liveStatus(err);
    } finally { state.busy = false; }
  }

  function syncUrl() {
    const q = new URLSearchParams();
    if (state.mode === "order" && state.selected) q.set("order", state.selected);
    if (state.mode === "new") q.set("new", "");
    history.replaceState(null, "", `${location.pathname}${q.toString() ? "?" + q : ""}`);
  }

  window.Console.viewButtons(state.view, (view) => { state.view = view; render(); });
  const search = document.getElementById("search");
  search.addEventListener("input", () => { state.search = search.value.trim(); render(); });
  document.getElementById("new-order").addEventListener("click", () => newOrder());

  refresh().then(() => (state.mode === "new" ? newOrder(params.get("example") || "") : loadDetail()));
  setInterval(refresh, POLL_MS);
})();
