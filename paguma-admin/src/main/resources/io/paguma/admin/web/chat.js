// The demo's chat room in a browser, over the server's WebSocket port, with paguma.js.
(function () {
  "use strict";
  var NICK = 10, JOIN = 11, SAY = 12, EVENT = 20;
  var token = new URLSearchParams(location.search).get("token");
  var log = document.getElementById("log");
  var state = document.getElementById("state");
  var client = null;

  function line(text, cls) {
    var d = document.createElement("div");
    if (cls) d.className = cls;
    d.textContent = text;   // text only: nothing a peer sends becomes markup
    log.appendChild(d);
    log.scrollTop = log.scrollHeight;
  }

  function setState(text, ok) {
    state.textContent = text;
    state.className = "badge " + (ok ? "up" : "down");
  }

  fetch("api/stats" + (token ? "?token=" + encodeURIComponent(token) : ""), { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (stats) {
      var server = (stats.servers || []).filter(function (s) { return s.webSocket && s.running; })[0];
      if (!server) throw new Error("no server here listens on WebSocket (mode websocket or both)");
      var ws = server.webSocket;
      var host = location.hostname.indexOf(":") >= 0 ? "[" + location.hostname + "]" : location.hostname;   // IPv6
      var url = (ws.secure ? "wss://" : "ws://") + host + ":" + ws.port + ws.path;
      document.getElementById("endpoint").textContent = url + " · " + server.codec;
      client = Paguma.connect(url, { codec: server.codec });
      client.on(EVENT, function (m) { line(m.text()); });
      client.onclose(function () { setState("disconnected", false); line("(disconnected)", "sys"); });
      return client.ready;
    })
    .then(function () {
      setState("connected", true);
      document.body.setAttribute("data-connected", "true");
    })
    .catch(function (e) { setState("error", false); line("(" + e.message + ")", "sys"); });

  function on(form, input, id, clear) {
    document.getElementById(form).addEventListener("submit", function (e) {
      e.preventDefault();
      var v = document.getElementById(input).value.trim();
      if (!v || !client || !client.open) return;
      client.send(id, v);
      if (id === SAY) line("> " + v, "me");
      if (clear) document.getElementById(input).value = "";
    });
  }
  on("nick-form", "nick", NICK, false);
  on("room-form", "room", JOIN, false);
  on("say-form", "say", SAY, true);
})();
