// Loaded after the client (deferred, so before it connects): records when
// the page is live, for the client suite's navigation figures.
liveTemplate.on("connected", () => {
  window.__liveAt = performance.timeOrigin + performance.now();
});
