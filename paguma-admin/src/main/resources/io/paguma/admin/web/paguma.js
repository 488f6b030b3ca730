/*
 * paguma.js: a browser client for Paguma servers over WebSocket, without dependencies.
 * One codec frame per WebSocket binary message (docs/PROTOCOL.md, "WebSocket").
 *
 *   const c = Paguma.connect("ws://127.0.0.1:9000/", { codec: "paguma" });
 *   await c.ready;
 *   c.on(20, m => console.log(m.text()));          // messages with id 20 (pushes)
 *   c.send(12, "hello");                             // string, Uint8Array or ArrayBuffer
 *   const reply = await c.request(1, "ping", { timeout: 2000 });   // "paguma" codec: matched by sequence id
 *   c.close();
 *
 * Codecs: "ltv-le" (Zinx's, the default: [len u32 LE][id u32 LE][data]) and "paguma"
 * ([len u32][b7][flags][status u16][id u32][seq u32][timeout u32?][data], big-endian).
 * A request's reply with a status other than 0 rejects its promise with a PagumaError
 * (status, message); a request without a reply within its timeout rejects with status 4.
 * Requests carry odd sequence ids (the client's side); a message with an even one is the
 * server's request: on(id) hears it, with m.seq, and c.reply(m, id, data) answers it.
 */
(function (root) {
  "use strict";

  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function bytes(data) {
    if (data === undefined || data === null) return new Uint8Array(0);
    if (typeof data === "string") return encoder.encode(data);
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError("data must be a string, a Uint8Array or an ArrayBuffer");
  }

  function message(id, data, seq, status) {
    return {
      id: id, seq: seq || 0, status: status || 0, data: data,
      text: function () { return decoder.decode(data); }
    };
  }

  function checkId(id) {
    if (!(id >= 0 && id <= 0xffffffff && Math.floor(id) === id)) throw new RangeError("message id must be an unsigned 32-bit integer, got " + id);
  }

  /** The codecs: encode(message) -> Uint8Array; decode(Uint8Array) -> [messages] (whole frames only). */
  var codecs = {
    "ltv-le": {
      requests: false,
      encode: function (m) {
        checkId(m.id);
        var data = bytes(m.data);
        var out = new Uint8Array(8 + data.length);
        var v = new DataView(out.buffer);
        v.setUint32(0, data.length, true);
        v.setUint32(4, m.id, true);
        out.set(data, 8);
        return out;
      },
      decode: function (buf) {
        var out = [];
        var v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        var at = 0;
        while (at < buf.length) {
          if (buf.length - at < 8) throw new Error("ltv-le: a frame ends inside its header");
          var len = v.getUint32(at, true);
          var id = v.getUint32(at + 4, true);
          if (buf.length - at - 8 < len) throw new Error("ltv-le: a frame of " + len + " bytes ends early");
          out.push(message(id, buf.slice(at + 8, at + 8 + len)));
          at += 8 + len;
        }
        return out;
      }
    },
    "paguma": {
      requests: true,
      encode: function (m) {
        checkId(m.id);
        var data = bytes(m.data);
        var limited = m.timeout > 0;
        var head = limited ? 20 : 16;
        var out = new Uint8Array(head + data.length);
        var v = new DataView(out.buffer);
        v.setUint32(0, data.length);
        v.setUint8(4, 0xb7);
        v.setUint8(5, limited ? 1 : 0);
        v.setUint16(6, m.status || 0);
        v.setUint32(8, m.id);
        v.setUint32(12, m.seq || 0);
        if (limited) v.setUint32(16, Math.min(0xffffffff, Math.ceil(m.timeout)));
        out.set(data, head);
        return out;
      },
      decode: function (buf) {
        var out = [];
        var v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        var at = 0;
        while (at < buf.length) {
          if (buf.length - at < 16) throw new Error("paguma: a frame ends inside its header");
          var len = v.getUint32(at);
          if (v.getUint8(at + 4) !== 0xb7) throw new Error("paguma: byte 4 is not 0xb7");
          var flags = v.getUint8(at + 5);
          if ((flags & ~1) !== 0) throw new Error("paguma: unknown flags " + flags);
          var head = (flags & 1) ? 20 : 16;
          if (buf.length - at - head < len) throw new Error("paguma: a frame of " + len + " bytes ends early");
          var m = message(v.getUint32(at + 8), buf.slice(at + head, at + head + len), v.getUint32(at + 12), v.getUint16(at + 6));
          if (head === 20) m.timeout = v.getUint32(at + 16);
          out.push(m);
          at += head + len;
        }
        return out;
      }
    }
  };

  function PagumaError(status, msg) {
    var e = new Error("remote error " + status + ": " + msg);
    e.name = "PagumaError";
    e.status = status;
    e.remoteMessage = msg;
    return e;
  }

  /**
   * Opens a connection. options: codec ("ltv-le" default, or "paguma"), timeout (ms, default
   * 10000: a request's limit, sent with it), WebSocket (a constructor, for tests).
   */
  function connect(url, options) {
    options = options || {};
    var codec = codecs[options.codec || "ltv-le"];
    if (!codec) throw new Error("unknown codec " + options.codec + " (ltv-le or paguma)");
    var Ws = options.WebSocket || root.WebSocket;
    var ws = new Ws(url);
    ws.binaryType = "arraybuffer";
    var handlers = {};
    var any = [];
    var closeHandlers = [];
    var pending = new Map();
    // A client's requests carry odd sequence ids, a server's even ones (docs/PROTOCOL.md, "Requests and replies").
    var nextSeq = 1;
    var defaultTimeout = options.timeout || 10000;
    var readyResolve, readyReject;
    var ready = new Promise(function (res, rej) { readyResolve = res; readyReject = rej; });
    var closed = false;

    function failAll(err) {
      pending.forEach(function (p) { clearTimeout(p.timer); p.reject(err); });
      pending.clear();
    }

    ws.onopen = function () { readyResolve(client); };
    ws.onerror = function () { readyReject(new Error("cannot connect to " + url)); };
    ws.onclose = function (e) {
      closed = true;
      readyReject(new Error("closed before it opened (" + e.code + ")"));
      failAll(new Error("the connection closed (" + e.code + (e.reason ? " " + e.reason : "") + ")"));
      closeHandlers.forEach(function (fn) { fn(e); });
    };
    ws.onmessage = function (e) {
      if (!(e.data instanceof ArrayBuffer)) return;   // servers send binary messages only
      var messages;
      try {
        messages = codec.decode(new Uint8Array(e.data));
      } catch (err) {
        ws.close(1002, "malformed frame");
        return;
      }
      messages.forEach(function (m) {
        if (m.seq % 2 === 1) {
          // A reply to one of our requests; one that comes after its request gave up is dropped.
          var p = pending.get(m.seq);
          if (!p) return;
          pending.delete(m.seq);
          clearTimeout(p.timer);
          if (m.status !== 0) p.reject(PagumaError(m.status, m.text()));
          else p.resolve(m);
          return;
        }
        // A plain message (seq 0) or the server's request (even seq): to the handlers, one failing not stopping the rest.
        (handlers[m.id] || []).concat(any).forEach(function (fn) {
          try { fn(m); } catch (err) { setTimeout(function () { throw err; }); }
        });
      });
    };

    var client = {
      ready: ready,
      codec: options.codec || "ltv-le",
      /** Sends a message (no reply awaited). */
      send: function (id, data) {
        if (closed || ws.readyState !== 1) throw new Error("not connected");
        ws.send(codec.encode({ id: id, data: data }));
      },
      /** Sends a request; resolves with the reply (matched by sequence id), rejects on a remote error or after its timeout. */
      request: function (id, data, opts) {
        if (!codec.requests) return Promise.reject(new Error("request needs the paguma codec (sequence ids); " + client.codec + " has none"));
        if (closed || ws.readyState !== 1) return Promise.reject(new Error("not connected"));
        // At most 2^31 - 1 ms: what setTimeout can wait (about 24 days).
        var timeout = Math.min(0x7fffffff, (opts && opts.timeout) || defaultTimeout);
        var seq = nextSeq;
        nextSeq = nextSeq >= 0xfffffffd ? 1 : nextSeq + 2;   // odd, wrapping before 2^32
        var frame;
        try {
          frame = codec.encode({ id: id, seq: seq, data: data, timeout: timeout });
        } catch (err) {
          return Promise.reject(err);
        }
        return new Promise(function (resolve, reject) {
          var timer = setTimeout(function () {
            pending.delete(seq);
            reject(PagumaError(4, "no reply to message " + id + " within " + timeout + " ms"));
          }, timeout);
          pending.set(seq, { resolve: resolve, reject: reject, timer: timer });
          ws.send(frame);
        });
      },
      /** Calls fn(message) for every message with this id that is not a reply; returns a function that stops it. */
      on: function (id, fn) {
        if (id === "*") { any.push(fn); return function () { any = any.filter(function (f) { return f !== fn; }); }; }
        checkId(id);
        (handlers[id] = handlers[id] || []).push(fn);
        return function () { handlers[id] = handlers[id].filter(function (f) { return f !== fn; }); };
      },
      /** Answers a server's request (a message with an even seq) heard with on(id). */
      reply: function (request, id, data) {
        if (!request.seq || request.seq % 2 !== 0) throw new Error("not a server's request (its seq must be even and not 0)");
        if (closed || ws.readyState !== 1) throw new Error("not connected");
        ws.send(codec.encode({ id: id, seq: request.seq, data: data }));
      },
      onclose: function (fn) { closeHandlers.push(fn); },
      close: function () { ws.close(1000); },
      get open() { return !closed && ws.readyState === 1; }
    };
    return client;
  }

  root.Paguma = { connect: connect, codecs: codecs, version: "0.2" };
})(typeof window !== "undefined" ? window : globalThis);
