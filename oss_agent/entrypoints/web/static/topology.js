/* Topology: the discovered network (devices, LLDP links) drawn with Cytoscape.js, in rings by role
   (core inside, edge, then customer sites); node colour is reachability, the ring the worst active
   alarm; a link turns red when an end is down. Refreshed every few seconds without moving anything. */
"use strict";
(function () {
  const { api, el, time, ago, toast, root } = window.Console;
  const POLL_MS = 5000;
  const COLORS = { up: "#2f9e44", down: "#c81e1e", unknown: "#9aa5b1" };
  const SEV = { critical: "#c81e1e", major: "#e8590c", minor: "#d4a106", warning: "#3b82f6", indeterminate: "#7c8796" };
  const RING = { p: 3, core: 3, pe: 2, edge: 2, ce: 1, cpe: 1, external: 0 };
  const detail = document.getElementById("detail");
  // the device or link in the address (#pe1); a malformed one (#%E0) selects nothing rather than stopping the page
  let selected = null;
  try { selected = decodeURIComponent(location.hash.slice(1)) || null; } catch (err) { /* URIError: nothing selected */ }
  let latest = null;

  const cy = cytoscape({
    container: document.getElementById("graph"),
    wheelSensitivity: 0.3,
    minZoom: 0.3, maxZoom: 3,
    style: [
      { selector: "node", style: {
        "background-color": (n) => COLORS[n.data("state")] || COLORS.unknown, label: "data(id)", color: "#17202c",
        "font-size": 12, "font-weight": 600, "text-valign": "bottom", "text-margin-y": 5, width: 34, height: 34,
        "border-width": (n) => (n.data("worst") ? 5 : 2), "border-color": (n) => SEV[n.data("worst")] || "#ffffff",
        shape: (n) => (n.data("role") === "p" || n.data("role") === "core" ? "round-rectangle" : n.data("role") === "ce" || n.data("role") === "cpe" ? "round-triangle" : n.data("external") ? "round-diamond" : "ellipse") } },
      { selector: "node:selected", style: { "overlay-color": "#2563eb", "overlay-opacity": 0.15, "overlay-padding": 6 } },
      { selector: "edge", style: {
        width: 3, "curve-style": "bezier", "line-color": (e) => (e.data("state") === "down" ? COLORS.down : e.data("state") === "up" ? "#7b8794" : "#c5ccd4"),
        "line-style": (e) => (e.data("state") === "down" ? "dashed" : "solid"),
        label: "data(label)", "font-size": 9, color: "#5b6776", "text-rotation": "autorotate", "text-background-color": "#fbfcfe", "text-background-opacity": 1, "text-background-padding": 1 } },
      { selector: "edge:selected", style: { "line-color": "#2563eb", width: 5 } },
    ],
  });

  function elements(data) {
    return [
      ...data.nodes.map((n) => ({ group: "nodes", data: { ...n } })),
      ...data.links.map((l) => ({ group: "edges", data: { ...l, label: `${l.ends[0].split(":")[1]} – ${l.ends[1].split(":")[1]}` } })),
    ];
  }

  function alarmList(alarms) {
    if (!alarms.length) return el("p", { class: "muted" }, "No active alarms.");
    return el("table", { class: "data" }, el("tbody", {}, ...alarms.map((a) => el("tr", {},
      el("td", {}, el("span", { class: `sev ${a.severity}` }, a.severity)),
      el("td", {}, el("a", { href: `${root}/alarms?alarm=${a.id}&q=${encodeURIComponent(a.object)}` }, a.cause), a.root ? "" : el("span", { class: "muted" }, " (symptom)"),
        el("div", { class: "muted mono" }, a.object)),
      el("td", { title: time(a.raised) }, ago(a.raised))))));
  }

  function showNode(n) {
    detail.replaceChildren(el("h2", {}, n.id, el("small", {}, el("a", { href: `${root}/performance?device=${encodeURIComponent(n.id)}` }, "performance →"))),
      el("dl", {},
        el("dt", {}, "state"), el("dd", {}, el("span", { class: `dot ${n.state}` }), n.state),
        el("dt", {}, "role"), el("dd", {}, n.role || "–"), el("dt", {}, "site"), el("dd", {}, n.site || "–"),
        el("dt", {}, "platform"), el("dd", {}, [n.vendor, n.platform, n.os_version].filter(Boolean).join(" ") || "–"),
        el("dt", {}, "last poll"), el("dd", {}, n.last_poll ? `${ago(n.last_poll * 1000)}${n.response_ms != null ? `, ${n.response_ms.toFixed(1)} ms` : ""}` : "never")),
      el("h3", {}, `Active alarms (${n.alarms.length})`), alarmList(n.alarms));
  }

  function showLink(l) {
    detail.replaceChildren(el("h2", {}, "Link"),
      el("dl", {},
        el("dt", {}, "state"), el("dd", {}, el("span", { class: `dot ${l.state}` }), l.state),
        ...l.ends.flatMap((end, i) => [el("dt", {}, i ? "B end" : "A end"), el("dd", {},
          el("a", { href: `${root}/performance?device=${encodeURIComponent(end.split(":")[0])}&interface=${encodeURIComponent(end.split(":")[1])}` }, end),
          ` ${l.oper[i]}`)])),
      el("h3", {}, `Active alarms (${l.alarms.length})`), alarmList(l.alarms));
  }

  function summary(data) {
    const byState = (items) => ["up", "down", "unknown"].map((s) => `${items.filter((i) => i.state === s).length} ${s}`).join(", ");
    detail.replaceChildren(el("h2", {}, "Network"),
      el("p", { class: "muted" }, "Click a device or a link to see its state and its alarms. Drag to move, scroll to zoom."),
      el("dl", {}, el("dt", {}, "devices"), el("dd", {}, byState(data.nodes.filter((n) => !n.external))),
        el("dt", {}, "links"), el("dd", {}, byState(data.links))));
  }

  function showSelected() {
    const item = selected ? cy.getElementById(selected) : null;
    if (item && item.nonempty()) { item.isNode() ? showNode(item.data()) : showLink(item.data()); }
    else if (latest) summary(latest);
  }

  async function refresh(first) {
    try {
      const data = await api("/data/topology");
      latest = data;
      if (first) {
        cy.add(elements(data));
        // deterministic: a circle ordered by role (core first), then a force-directed pass from there
        cy.layout({ name: "circle", sort: (a, b) => (RING[b.data("role")] ?? 1) - (RING[a.data("role")] ?? 1) || a.id().localeCompare(b.id()), animate: false }).run();
        cy.layout({ name: "cose", randomize: false, animate: false, idealEdgeLength: () => 110, nodeRepulsion: () => 90000, padding: 50, nodeDimensionsIncludeLabels: true }).run();
        if (selected) cy.getElementById(selected).select();
      } else {
        const ids = new Set([...data.nodes.map((n) => n.id), ...data.links.map((l) => l.id)]);
        cy.elements().filter((e) => !ids.has(e.id())).remove();
        for (const item of elements(data)) {
          const existing = cy.getElementById(item.data.id);
          if (existing.nonempty()) existing.data(item.data); else cy.add(item);
        }
      }
      showSelected();
      window.Console.liveStatus();
    } catch (err) {
      window.Console.liveStatus(err);
      if (first) toast(err.message, true);
    }
  }

  cy.on("tap", "node, edge", (e) => { selected = e.target.id(); history.replaceState(null, "", `#${encodeURIComponent(selected)}`); showSelected(); });
  cy.on("tap", (e) => { if (e.target === cy) { selected = null; history.replaceState(null, "", location.pathname); showSelected(); } });
  document.getElementById("fit").addEventListener("click", () => cy.fit(undefined, 40));
  window.consoleGraph = cy;
  refresh(true);
  setInterval(() => refresh(false), POLL_MS);
})();
