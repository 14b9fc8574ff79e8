/* Overview: the alarm counts stay current (TMF642 list, every 10 s); the KPIs are as of the page load. */
"use strict";
(function () {
  const { api, SEVERITIES } = window.Console;
  async function refresh() {
    try {
      const alarms = (await api("/api/tmf-api/alarm/v4/alarm?fields=perceivedSeverity,state,ackState")).filter((a) => a.state !== "cleared");
      for (const s of SEVERITIES) {
        const n = alarms.filter((a) => a.perceivedSeverity === s).length;
        const box = document.querySelector(`#sevbar [data-severity="${s}"]`);
        if (box) { box.querySelector(".n").textContent = String(n); box.classList.toggle("zero", n === 0); }
      }
      document.getElementById("active-count").textContent = String(alarms.length);
      document.getElementById("unack-count").textContent = String(alarms.filter((a) => a.ackState !== "acknowledged").length);
      window.Console.liveStatus();
    } catch (err) {
      window.Console.liveStatus(err);
    }
  }
  setInterval(refresh, 10000);
})();
