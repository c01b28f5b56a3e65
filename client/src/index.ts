// The client's public API, as the ES module livetemplate.mjs exports it.
export { LiveTemplateClient } from "./client";
export type { ClientOptions } from "./client";
