// The classic-script bundle, livetemplate.js: the API on window, and a page
// whose script tag has data-live connects by itself:
//
//	<script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}" defer></script>
import * as api from "./client";
import { scriptURL } from "./nav";
import { scriptURL as uploadURL } from "./upload";

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

// The chunk (navigation, the commands' code) is served at this script's URL.
if (document.currentScript instanceof HTMLScriptElement) {
  scriptURL(document.currentScript.src);
  uploadURL(document.currentScript.src);
}

const script = document.currentScript;
const live = script?.getAttribute("data-live");
if (script && live !== null && live !== undefined) {
  const d = script.dataset;
  const o: api.ClientOptions = { debug: d["debug"] !== undefined && d["debug"] !== "false" };
  if (d["token"]) o.presetToken = d["token"];
  if (d["version"]) o.version = Number(d["version"]) || 0;
  if (d["gone"] === "stay") o.gone = "stay";
  if (d["indicator"] !== undefined && d["indicator"] !== "false") o.indicator = true;
  const client = (window.liveTemplate = new api.LiveTemplateClient(o));
  // Connect once the document's scripts ran, deferred ones too (DOMContentLoaded comes after
  // them): their listeners hear the first connected event.
  const nav = performance.getEntriesByType?.("navigation")[0] as PerformanceNavigationTiming | undefined;
  if (document.readyState === "loading" || nav?.domContentLoadedEventStart === 0) document.addEventListener("DOMContentLoaded", () => client.connect(live), { once: true });
  else client.connect(live);
}
