// Paguma's live status page: reads api/stats and api/connections once a second and draws the
// last minute as hand-written SVG (no library, nothing fetched from elsewhere).
(function () {
  "use strict";
  var token = new URLSearchParams(location.search).get("token");
  var pageSize = 20;
  var page = 0;
  var ticks = 0;

  function url(path, params) {
    var q = new URLSearchParams(params || {});
    if (token) q.set("token", token);
    var s = q.toString();
    return path + (s ? "?" + s : "");
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var ns = tag === "path" || tag === "line" || tag === "text" ? "http://www.w3.org/2000/svg" : null;
    var e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function human(n) {
    if (n === null || n === undefined) return "–";
    var a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(1) + "G";
    if (a >= 1e6) return (n / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return String(Math.round(n * 10) / 10);
  }

  function bytes(n) {
    var a = Math.abs(n);
    if (a >= 1 << 30) return +(n / (1 << 30)).toFixed(1) + " GiB";
    if (a >= 1 << 20) return +(n / (1 << 20)).toFixed(1) + " MiB";
    if (a >= 1 << 10) return +(n / (1 << 10)).toFixed(1) + " KiB";
    return Math.round(n) + " B";
  }

  function duration(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  }

  // One plot: a line per series over the same time axis, the y axis from 0 to a rounded maximum.
  function plot(svg, times, series, format) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var w = 600, h = 160, left = 66, bottom = 16, top = 8;
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
    max = niceMax(max);
    for (var i = 0; i <= 4; i++) {
      var y = top + (h - top - bottom) * i / 4;
      svg.appendChild(el("line", { x1: left, x2: w, y1: y, y2: y, "class": "gridline" }));
      svg.appendChild(el("text", { x: left - 4, y: y + 4, "text-anchor": "end", "class": "axis" }, format(max * (4 - i) / 4)));
    }
    svg.appendChild(el("text", { x: left, y: h - 2, "class": "axis" }, "-60s"));
    svg.appendChild(el("text", { x: w, y: h - 2, "text-anchor": "end", "class": "axis" }, "now"));
    if (times.length === 0) return;
    var end = times[times.length - 1];
    series.forEach(function (s) {
      var d = "";
      for (var k = 0; k < times.length; k++) {
        var x = left + (w - left) * (1 - (end - times[k]) / 60000);
        var yv = top + (h - top - bottom) * (1 - (max === 0 ? 0 : s.values[k] / max));
        d += (k === 0 ? "M" : "L") + x.toFixed(1) + "," + yv.toFixed(1);
      }
      svg.appendChild(el("path", { d: d, "class": "line " + s.cls, "data-last": String(s.values[s.values.length - 1]) }));
    });
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function fillRows(tbody, rows) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (r) {
      var tr = el("tr", r.cls ? { "class": r.cls } : {});
      r.cells.forEach(function (c, i) { tr.appendChild(el("td", i === r.wideCell ? { "class": "detail" } : {}, c)); });
      tbody.appendChild(tr);
    });
  }

  function render(stats) {
    $("uptime").textContent = "up " + duration(stats.uptimeSeconds * 1000);
    var servers = stats.servers || [];
    var up = servers.every(function (s) { return s.running; });
    var badge = $("state");
    badge.textContent = up ? "running" : "stopped";
    badge.className = "badge " + (up ? "up" : "down");
    var box = $("servers");
    while (box.firstChild) box.removeChild(box.firstChild);
    servers.forEach(function (s) {
      var d = el("div", { "class": "server", "data-server": s.name });
      d.appendChild(el("span", { "class": "muted" }, s.name + (s.port ? " :" + s.port : "")));
      d.appendChild(el("b", { id: "total-messages-" + s.name }, human(s.totals.messagesIn + s.totals.messagesOut) + " msgs"));
      d.appendChild(el("span", { "class": "muted" }, human(s.rates.messagesIn.lastMinute) + "/s in over the last minute · "
        + bytes(s.totals.bytesIn + s.totals.bytesOut) + " total"));
      box.appendChild(d);
    });
    var s = servers[0];
    if (!s) return;
    var t = s.series.time;
    plot($("plot-connections"), t, [{ values: s.series.connections, cls: "conn" }], human);
    plot($("plot-messages"), t, [{ values: s.series.messagesIn, cls: "in" }, { values: s.series.messagesOut, cls: "out" }], human);
    plot($("plot-bytes"), t, [{ values: s.series.bytesIn, cls: "in" }, { values: s.series.bytesOut, cls: "out" }], bytes);
    $("now-connections").textContent = String(s.connections);
    $("now-messages").textContent = human(s.rates.messagesIn.lastSecond) + " in · " + human(s.rates.messagesOut.lastSecond) + " out";
    $("now-bytes").textContent = bytes(s.rates.bytesIn.lastSecond) + "/s in · " + bytes(s.rates.bytesOut.lastSecond) + "/s out";
    fillRows($("routes").tBodies[0], (stats.topRoutes || []).map(function (r) {
      return { cells: [r.route, human(r.perSecond), human(r.lastMinute), human(r.count), String(r.meanMicros), String(r.maxMicros)] };
    }));
    var workers = $("workers");
    while (workers.firstChild) workers.removeChild(workers.firstChild);
    if (s.workerQueues.length === 0) workers.appendChild(el("div", { "class": "muted" }, "routers run on the IO threads (workerPoolSize 0)"));
    var most = Math.max.apply(null, [1].concat(s.workerQueues));
    s.workerQueues.forEach(function (q, i) {
      var row = el("div", { "class": "worker" });
      row.appendChild(el("span", {}, "worker " + i));
      var bar = el("div", { "class": "bar" });
      bar.style.width = (100 * q / most) + "%";
      row.appendChild(bar);
      row.appendChild(el("span", {}, String(q)));
      workers.appendChild(row);
    });
    fillRows($("events").tBodies[0], Object.keys(s.events).map(function (k) {
      return { cells: [k, human(s.events[k])], cls: s.events[k] > 0 && k !== "accepted" ? "error" : "" };
    }));
    fillRows($("errors").tBodies[0], (stats.recentErrors || []).slice(0, 20).map(function (e) {
      return { cls: "error", wideCell: 4, cells: [new Date(e.time).toLocaleTimeString(), e.kind, e.connection < 0 ? "" : String(e.connection), e.address, e.detail] };
    }));
  }

  function renderConnections(c) {
    $("conn-total").textContent = "(" + c.total + " open)";
    $("page").textContent = (c.page + 1) + " / " + Math.max(1, Math.ceil(c.total / c.size));
    var now = Date.now();
    fillRows($("connections").tBodies[0], c.connections.map(function (x) {
      return { cells: [String(x.id), x.address, x.openedAt ? duration(now - x.openedAt) : "", human(x.messagesIn), human(x.messagesOut), bytes(x.bytesIn), bytes(x.bytesOut)] };
    }));
    if (page > 0 && page * c.size >= c.total) page = Math.max(0, Math.ceil(c.total / c.size) - 1);
  }

  function tick() {
    fetch(url("api/stats"), { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (stats) {
        render(stats);
        ticks++;
        document.body.setAttribute("data-ticks", String(ticks));
        return fetch(url("api/connections", { page: page, size: pageSize }), { cache: "no-store" });
      })
      .then(function (r) { return r.json(); })
      .then(renderConnections)
      .catch(function (e) {
        var badge = $("state");
        badge.textContent = "unreachable (" + e.message + ")";
        badge.className = "badge down";
      });
  }

  $("prev").addEventListener("click", function () { if (page > 0) { page--; tick(); } });
  $("next").addEventListener("click", function () { page++; tick(); });
  tick();
  setInterval(tick, 1000);
})();
