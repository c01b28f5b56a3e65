// The classic-script bundle, livetemplate.js: the API on window, and a page
// whose script tag has data-live connects by itself:
//
//	<script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}" defer></script>
import * as api from "./index";

declare global {
  interface Window {
    LiveTemplateClient: typeof api.LiveTemplateClient;
    LiveTemplateError: typeof api.LiveTemplateError;
    /** The client that the script tag's data-live connected, if any. */
    liveTemplate?: api.LiveTemplateClient;
  }
}

window.LiveTemplateClient = api.LiveTemplateClient;
window.LiveTemplateError = api.LiveTemplateError;

const script = document.currentScript;
const live = script?.getAttribute("data-live");
if (script && live !== null && live !== undefined) {
  const d = script.dataset;
  const start = () => {
    const o: api.ClientOptions = { debug: d["debug"] !== undefined && d["debug"] !== "false" };
    if (d["token"]) o.presetToken = d["token"];
    if (d["version"]) o.version = Number(d["version"]) || 0;
    const client = new api.LiveTemplateClient(o);
    window.liveTemplate = client;
    client.connect(live);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
}
