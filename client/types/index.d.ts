export { LiveTemplateClient } from "./client";
export type { ClientOptions } from "./client";
