// The classic-script bundle, livetemplate.js: the ES module's API on window.
import * as api from "./index";

declare global {
  interface Window {
    LiveTemplateClient: typeof api.LiveTemplateClient;
  }
}

window.LiveTemplateClient = api.LiveTemplateClient;
