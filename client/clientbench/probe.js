// The hook of the push benchmark: it notes, for each "t" push, the time from the server's
// Page.Push (the push's t, in Unix milliseconds) to its callback, in window.lat.
window.lat = [];
LiveTemplateClient.hooks.Probe = {
  mounted() {
    window.probe = true;
    this.handleEvent("t", (d) => lat.push(performance.timeOrigin + performance.now() - d.t));
  },
};
