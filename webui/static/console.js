/* Shared helpers of the console's pages: calls through the session gateway, formatting, a toast. */
"use strict";
(function () {
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";
  const root = meta("console-root");
  const csrf = meta("csrf-token");

  const EXCERPT = 160; // characters of a non-JSON answer shown to the operator

  /* The words of an HTML page (a proxy's error page): its tags, scripts and styles dropped as text,
     never parsed into a document, so nothing of it can load or run. */
  const htmlWords = (html) => html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ").replace(/<[^>]*>/g, " ");

  /* The start of an answer that is not JSON, as plain text (an HTML error page by its words). Callers
     show it with textContent, never as markup. */
  function excerpt(text, type) {
    const words = /^text\/html/i.test(type) ? htmlWords(text) : text;
    const flat = words.replace(/\s+/g, " ").trim();
    return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT)}…` : flat;
  }

  /* An answer's JSON, or undefined when it is not JSON: a server or proxy in the way may answer a
     plain-text 404 or an HTML 502, and the operator must see that rather than a JSON parse error. */
  function json(text, type) {
    if (!/^application\/([\w.-]+\+)?json\b/i.test(type)) return undefined;
    try { return text ? JSON.parse(text) : null; } catch { return undefined; }
  }

  async function api(path, options = {}) {
    const init = { method: options.method || "GET", headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers["Content-Type"] = options.contentType || "application/json";
    }
    if (init.method !== "GET") init.headers["X-CSRF-Token"] = csrf;
    const response = await fetch(root + path, init);
    const text = await response.text();
    const type = response.headers.get("Content-Type") || "";
    const data = json(text, type);
    if (response.status === 401) { location.href = `${root}/login?next=${encodeURIComponent(location.pathname + location.search)}`; }
    const status = `${response.status} ${response.statusText}`.trim();
    if (data === undefined && text) throw new Error(`${status}: ${excerpt(text, type) || `an empty ${type} answer`}`);
    if (!response.ok) throw new Error((data && (data.message || data.reason)) || status);
    return data === undefined ? null : data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function time(value) {
    if (!value) return "";
    const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function ago(value) {
    const s = Math.max(0, (Date.now() - new Date(value).getTime()) / 1000);
    if (s < 60) return `${Math.round(s)} s ago`;
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`;
    return `${(s / 86400).toFixed(1)} d ago`;
  }
  function bits(v) {
    if (v === null || v === undefined) return "–";
    const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
    let i = 0; let x = Math.abs(v);
    while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
    return `${(Math.sign(v) * x).toFixed(x < 10 && i ? 2 : 1)} ${units[i]}`;
  }

  let toastTimer = null;
  function toast(message, bad = false) {
    const node = document.getElementById("toast");
    node.textContent = message;
    node.className = bad ? "show bad" : "show";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.className = ""; }, 3500);
  }

  /* The page's "live" mark (#live): updated now, or not updating and why. */
  function liveStatus(err) {
    const node = document.getElementById("live");
    if (!node) return;
    node.className = err ? "live stale" : "live";
    node.textContent = err ? `not updating: ${err.message}` : `live · updated ${new Date().toLocaleTimeString()}`;
  }

  /* The segmented buttons of #view: marks the one for ``current`` and calls ``choose(view)`` on a click. */
  function viewButtons(current, choose) {
    const buttons = [...document.querySelectorAll("#view button")];
    for (const b of buttons) {
      b.classList.toggle("on", b.dataset.view === current);
      b.addEventListener("click", () => {
        for (const o of buttons) o.classList.toggle("on", o === b);
        choose(b.dataset.view);
      });
    }
  }

  const SEVERITIES = ["critical", "major", "minor", "warning", "indeterminate"];
  const severityRank = (s) => { const i = SEVERITIES.indexOf(s); return i < 0 ? SEVERITIES.length : i; };

  window.Console = { root, api, el, time, ago, bits, toast, liveStatus, viewButtons, SEVERITIES, severityRank };
})();
