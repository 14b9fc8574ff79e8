/* What the Orders and Services pages share: state pills, a device's progress through an order, diffs,
   and TMF641 orders sent through the console's gateway (the same requests a script would send). */
"use strict";
(function () {
  const { api, el, time } = window.Console;
  const ORDERING = "/api/tmf-api/serviceOrdering/v4";
  // a device's way through an order; noChange and the rollbacks end it early
  const STEPS = ["planned", "snapshot", "applying", "prepared", "committed"];
  const GOOD = new Set(["completed", "active", "committed", "noChange", "done"]);
  const BAD = new Set(["failed", "rejected", "rolledBack", "rollbackFailed", "partial"]);
  const IDLE = new Set(["cancelled", "terminated", "inactive"]);

  function tone(state) {
    if (GOOD.has(state)) return "good";
    if (BAD.has(state)) return "bad";
    if (IDLE.has(state)) return "idle";
    return "busy";
  }
  const pill = (state, title) => el("span", { class: `state ${tone(state)}`, title: title || state, dataset: { state } }, state);

  function steps(phase, error) {
    const at = STEPS.indexOf(phase);
    const ended = phase === "noChange" ? "no change needed" : phase === "rolledBack" ? "rolled back" : phase === "rollbackFailed" ? "ROLLBACK FAILED" : "";
    return el("span", { class: "steps", title: error || phase, dataset: { phase } },
      ...STEPS.map((s, i) => el("span", { class: `step ${at < 0 ? (i === 0 ? "done" : "") : i < at ? "done" : i === at ? (s === "committed" ? "done" : "now") : ""}` }, s)),
      ended ? el("span", { class: `step ${phase === "noChange" ? "done" : "bad"}` }, ended) : "");
  }

  function chips(devices) {
    return el("span", { class: "chips" }, ...devices.map((d) => el("span", { class: `chip ${tone(d.phase)}`, title: `${d.device}: ${d.phase}${d.error ? " – " + d.error : ""}`, dataset: { device: d.device, phase: d.phase } }, d.device, el("small", {}, d.phase))));
  }

  function diff(text) {
    if (!text) return el("p", { class: "muted" }, "no difference");
    return el("pre", { class: "diff" }, ...text.split("\n").map((line) => el("span", {
      class: line.startsWith("+++") || line.startsWith("---") ? "file" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "",
    }, line + "\n")));
  }

  function items(order) {
    return order.items.map((i) => `${i.action} ${i.spec || ""} ${i.service_name || (i.service_id || "").slice(0, 8)}${i.target_state ? " → " + i.target_state : ""}`.replace(/\s+/g, " ").trim()).join("; ");
  }

  /* POST a ServiceOrder_Create; returns the TMF641 order (state acknowledged, or rejected with its reasons). */
  async function submit(body) {
    return api(`${ORDERING}/serviceOrder`, { method: "POST", body });
  }
  const modify = (serviceId, state, description) => submit({
    description,
    serviceOrderItem: [{ id: "1", action: "modify", service: state ? { id: serviceId, state } : { id: serviceId } }],
  });
  const terminate = (serviceId, description) => submit({ description, serviceOrderItem: [{ id: "1", action: "delete", service: { id: serviceId } }] });
  const cancel = (orderId, reason) => api(`${ORDERING}/cancelServiceOrder`, { method: "POST", body: { serviceOrder: { id: orderId }, cancellationReason: reason } });
  const orderLink = (id, label) => el("a", { href: `${window.Console.root}/orders?order=${encodeURIComponent(id)}` }, label || id.slice(0, 8));
  const resourceLink = (r) => {
    const [device, iface] = r.split(":");
    return iface
      ? el("a", { class: "res", href: `${window.Console.root}/performance?device=${encodeURIComponent(device)}&interface=${encodeURIComponent(iface)}`, title: `${r}: throughput and errors` }, r)
      : el("a", { class: "res", href: `${window.Console.root}/topology#${encodeURIComponent(device)}`, title: `${device} on the map` }, r);
  };
  const when = (v) => (v ? time(v) : "–");

  window.Provisioning = { STEPS, tone, pill, steps, chips, diff, items, submit, modify, terminate, cancel, orderLink, resourceLink, when };
})();
