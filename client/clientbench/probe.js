// The hook of the push benchmark: it notes, for each "t" push, the time from the server's
// Page.Push (the push's t, in Unix milliseconds) to its callback, in window.lat. Date.now, the
// wall clock that the server's t reads too: performance.timeOrigin + performance.now() drifts
// from it in a tab that lives a while.
window.lat = [];
LiveTemplateClient.hooks.Probe = {
  mounted() {
    window.probe = true;
    this.handleEvent("t", (d) => lat.push(Date.now() - d.t));
  },
};
