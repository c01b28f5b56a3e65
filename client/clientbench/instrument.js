// Loaded before the client: counts the bytes of every WebSocket frame both
// ways and times each message handler's run, for the client suite.
(function () {
  const stats = { recv: 0, sent: 0, types: [], handle: [] };
  window.__ltbench = stats;
  const enc = new TextEncoder();
  const size = (d) => (typeof d === "string" ? enc.encode(d).length : d.byteLength || d.size || 0);
  const timed = (ws, fn) => function (ev) {
    const t0 = performance.now();
    try {
      return fn.call(ws, ev);
    } finally {
      stats.handle.push(performance.now() - t0);
    }
  };
  const Native = window.WebSocket;
  class Counting extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      // Registered first, so it runs before the client's listeners.
      super.addEventListener("message", (ev) => {
        stats.recv += size(ev.data);
        try { stats.types.push(JSON.parse(ev.data).type); } catch (e) { stats.types.push("?"); }
      });
    }
    send(d) {
      stats.sent += size(d);
      super.send(d);
    }
    addEventListener(type, fn, opts) {
      return super.addEventListener(type, type === "message" ? timed(this, fn) : fn, opts);
    }
    set onmessage(fn) {
      super.onmessage = fn ? timed(this, fn) : fn;
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  window.WebSocket = Counting;
})();
