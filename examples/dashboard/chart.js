// The dashboard's load chart: a hook that draws the samples in its <canvas>. It reads them from
// the element's data-load when it is mounted (and after a reconnect), then takes them from the
// server's "load" pushes (Page.Push), which come after the diff of the tick that made them. Each
// push carries the whole chart, a few bytes: one that came before this browser joined the page,
// and so never reached it, leaves the chart behind until the next.
LiveTemplateClient.hooks.LoadChart = {
  mounted() {
    this.load();
    this.handleEvent("load", (samples) => {
      this.samples = samples;
      this.draw();
    });
    this.resize = () => this.draw();
    addEventListener("resize", this.resize);
  },
  reconnected() {
    this.load();
  },
  destroyed() {
    removeEventListener("resize", this.resize);
  },
  // load takes the samples from the page's HTML.
  load() {
    this.samples = this.el.dataset.load.split(" ").filter((s) => s !== "").map(Number);
    this.draw();
  },
  draw() {
    const el = this.el;
    el.samples = this.samples; // what the chart shows, for the page's other scripts
    const ratio = devicePixelRatio || 1;
    const w = el.clientWidth, h = el.clientHeight;
    el.width = Math.round(w * ratio);
    el.height = Math.round(h * ratio);
    const c = el.getContext("2d");
    c.scale(ratio, ratio);
    c.fillStyle = getComputedStyle(el).getPropertyValue("--accent").trim() || "#0b63c5";
    const gap = 2, n = Math.max(this.samples.length, 1), bar = (w - gap * (n - 1)) / n;
    this.samples.forEach((p, i) => c.fillRect(i * (bar + gap), h - (h * p) / 100, bar, (h * p) / 100));
  },
};
