/* Alarms: a live list from the TMF642 API (polled every few seconds, new rows flash), the correlation
   tree (symptoms under their root cause), acknowledge / clear / comment through PATCH. */
"use strict";
(function () {
  const { api, el, time, ago, toast, severityRank } = window.Console;
  const BASE = "/api/tmf-api/alarm/v4/alarm";
  const POLL_MS = 3000;
  const params = new URLSearchParams(location.search);
  const state = {
    view: params.get("view") || "active",
    severity: params.get("severity") || "",
    search: params.get("device") || params.get("q") || "",
    alarms: new Map(), seen: null, selected: params.get("alarm") ? Number(params.get("alarm")) : null,
    collapsed: new Set(), busy: false,
  };
  const tbody = document.querySelector("#alarms tbody");
  const detail = document.getElementById("detail");

  function activeOf(a) { return a.state !== "cleared"; }
  function deviceOf(obj) { return obj.split(":")[0].split("|")[0]; }
  function matches(a) {
    if (state.view === "active" && !activeOf(a)) return false;
    const sev = activeOf(a) ? a.perceivedSeverity : "cleared";
    if (state.severity && sev !== state.severity) return false;
    if (state.search) {
      const text = `${a.alarmedObject.id} ${a.probableCause} ${a.specificProblem} ${a.id}`.toLowerCase();
      if (!state.search.toLowerCase().split(/\s+/).every((w) => text.includes(w))) return false;
    }
    return true;
  }

  function sortKey(a, b) {
    return (activeOf(b) - activeOf(a)) || (severityRank(a.perceivedSeverity) - severityRank(b.perceivedSeverity))
      || (new Date(b.alarmRaisedTime) - new Date(a.alarmRaisedTime));
  }

  async function patch(a, body, done) {
    try {
      await api(`${BASE}/${a.id}`, { method: "PATCH", body, contentType: "application/merge-patch+json" });
      toast(`alarm ${a.id} ${done}`);
      await refresh();
    } catch (err) { toast(`alarm ${a.id}: ${err.message}`, true); }
  }
  const operator = () => (document.querySelector(".operator strong") || {}).textContent || "console";
  const ack = (a) => patch(a, a.ackState === "acknowledged" ? { ackState: "unacknowledged", ackUserId: operator() } : { ackState: "acknowledged", ackUserId: operator() },
    a.ackState === "acknowledged" ? "unacknowledged" : "acknowledged");
  const clear = (a) => patch(a, { state: "cleared", clearUserId: operator() }, "cleared");

  function actions(a) {
    if (!activeOf(a)) return el("td");
    return el("td", { class: "actions" },
      el("button", { class: "small", type: "button", "data-action": "ack", onclick: (e) => { e.stopPropagation(); ack(a); } },
        a.ackState === "acknowledged" ? "Unack" : "Ack"),
      el("button", { class: "small danger", type: "button", "data-action": "clear", onclick: (e) => { e.stopPropagation(); clear(a); } }, "Clear"));
  }

  function row(a, symptom, childCount) {
    const sev = activeOf(a) ? a.perceivedSeverity : "cleared";
    const isNew = state.seen && !state.seen.has(a.id);
    const toggle = childCount
      ? el("button", { class: "tree-toggle", type: "button", title: `${childCount} symptom(s)`, "aria-expanded": String(!state.collapsed.has(a.id)),
          onclick: (e) => { e.stopPropagation(); state.collapsed.has(a.id) ? state.collapsed.delete(a.id) : state.collapsed.add(a.id); render(); } },
          state.collapsed.has(a.id) ? "▸" : "▾")
      : "";
    const tr = el("tr", {
      class: [`sev-${sev}`, `state-${a.state}`, symptom ? "symptom" : "root", isNew ? "new" : "", state.selected === a.id ? "selected" : ""].join(" "),
      dataset: { id: a.id, object: a.alarmedObject.id, state: a.state, ack: a.ackState },
      onclick: () => { state.selected = a.id; render(); showDetail(a); },
    },
      el("td", {}, toggle),
      el("td", {}, el("span", { class: `sev ${sev}` }, sev)),
      el("td", { class: "mono" }, String(a.id)),
      el("td", { class: "obj mono" }, a.alarmedObject.id),
      el("td", {}, a.probableCause, childCount ? [" ", el("span", { class: "pill", title: "symptoms correlated to this root cause" }, `${childCount} symptom${childCount > 1 ? "s" : ""}`)] : ""),
      el("td", { class: "problem" }, a.specificProblem || ""),
      el("td", { title: time(a.alarmRaisedTime) }, ago(a.alarmRaisedTime)),
      el("td", { class: "num", title: "occurrences" }, a.repeatCount ? `×${a.repeatCount + 1}` : ""),
      el("td", {}, a.state === "cleared" ? "cleared" : a.ackState === "acknowledged" ? el("span", { class: "pill ack", title: `by ${a.ackUserId || ""}` }, "acknowledged") : el("span", { class: "pill" }, a.state)),
      actions(a));
    return tr;
  }

  function render() {
    const all = [...state.alarms.values()];
    const shown = all.filter(matches);
    const shownIds = new Set(shown.map((a) => a.id));
    const children = new Map();
    for (const a of shown) {
      const parent = a.parentAlarm && a.parentAlarm.length ? Number(a.parentAlarm[0].id) : null;
      if (parent !== null && shownIds.has(parent)) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(a);
      }
    }
    const roots = shown.filter((a) => !(a.parentAlarm && a.parentAlarm.length && shownIds.has(Number(a.parentAlarm[0].id)))).sort(sortKey);
    const rows = [];
    for (const a of roots) {
      const kids = (children.get(a.id) || []).sort(sortKey);
      rows.push(row(a, false, kids.length));
      if (!state.collapsed.has(a.id)) for (const k of kids) rows.push(row(k, true, 0));
    }
    tbody.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: "10" }, state.view === "active" ? "No active alarms. The network is clean." : "No alarms match."))]));
    if (state.selected !== null && state.alarms.has(state.selected)) showDetail(state.alarms.get(state.selected));
  }

  function link(id) {
    return el("a", { href: "#", onclick: (e) => { e.preventDefault(); state.selected = Number(id); render(); } }, `#${id}`);
  }

  function showDetail(a) {
    const sev = activeOf(a) ? a.perceivedSeverity : "cleared";
    const dl = el("dl", {},
      el("dt", {}, "severity"), el("dd", {}, el("span", { class: `sev ${sev}` }, sev)),
      el("dt", {}, "object"), el("dd", { class: "mono" }, a.alarmedObject.id),
      el("dt", {}, "type"), el("dd", {}, a.alarmType),
      el("dt", {}, "cause"), el("dd", {}, a.probableCause),
      el("dt", {}, "problem"), el("dd", {}, a.specificProblem || "–"),
      el("dt", {}, "raised"), el("dd", {}, time(a.alarmRaisedTime)),
      el("dt", {}, "changed"), el("dd", {}, time(a.alarmChangedTime)),
      a.alarmClearedTime ? [el("dt", {}, "cleared"), el("dd", {}, time(a.alarmClearedTime))] : [],
      el("dt", {}, "acknowledged"), el("dd", {}, a.ackState === "acknowledged" ? `by ${a.ackUserId || "?"}` : "no"),
      el("dt", {}, "occurrences"), el("dd", {}, `${(a.repeatCount || 0) + 1}${a.flapping ? " (flapping)" : ""}`),
      el("dt", {}, "root cause"), el("dd", {}, a.isRootCause ? "yes" : el("span", {}, "no, symptom of ", ...(a.parentAlarm || []).map((p) => link(p.id)))),
      (a.correlatedAlarm || []).length ? [el("dt", {}, "symptoms"), el("dd", {}, ...a.correlatedAlarm.flatMap((c, i) => [i ? ", " : "", link(c.id)]))] : [],
      el("dt", {}, "reduction key"), el("dd", { class: "mono" }, a.reductionKey));
    const comments = el("div", {}, ...(a.comment || []).map((c) => el("p", {}, el("strong", {}, c.userId || "?"), ` ${time(c.time)}: `, c.comment)));
    const input = el("input", { type: "text", placeholder: "add a comment", "aria-label": "Comment", style: "width:100%" });
    const form = el("form", { onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) patch(a, { comment: [{ comment: input.value.trim(), userId: operator() }] }, "commented"); } },
      input, el("div", { style: "margin-top:6px;display:flex;gap:6px" }, el("button", { type: "submit", class: "small" }, "Comment")));
    const device = deviceOf(a.alarmedObject.id);
    detail.replaceChildren(el("h2", {}, `Alarm #${a.id}`, el("small", {}, el("a", { href: `${window.Console.root}/topology#${encodeURIComponent(device)}` }, `${device} on the map →`))),
      dl, activeOf(a) ? el("div", { style: "display:flex;gap:6px" }, ...actions(a).childNodes) : "", el("h3", {}, "Comments"),
      (a.comment || []).length ? comments : el("p", { class: "muted" }, "none yet"), form);
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      const list = await api(`${BASE}?limit=1000`);
      const fresh = new Map(list.map((a) => [a.id, a]));
      if (state.seen === null) state.seen = new Set(fresh.keys());
      state.alarms = fresh;
      render();
      for (const id of fresh.keys()) state.seen.add(id);
      window.Console.liveStatus();
    } catch (err) {
      window.Console.liveStatus(err);
    } finally { state.busy = false; }
  }

  function syncUrl() {
    const q = new URLSearchParams();
    if (state.view !== "active") q.set("view", state.view);
    if (state.severity) q.set("severity", state.severity);
    if (state.search) q.set("q", state.search);
    history.replaceState(null, "", `${location.pathname}${q.toString() ? "?" + q : ""}`);
  }

  window.Console.viewButtons(state.view, (view) => { state.view = view; syncUrl(); render(); });
  const severity = document.getElementById("severity");
  severity.value = state.severity;
  severity.addEventListener("change", () => { state.severity = severity.value; syncUrl(); render(); });
  const search = document.getElementById("search");
  search.value = state.search;
  search.addEventListener("input", () => { state.search = search.value.trim(); syncUrl(); render(); });

  refresh();
  setInterval(refresh, POLL_MS);
})();
