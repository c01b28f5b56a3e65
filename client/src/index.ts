// The client's public API, as the ES module livetemplate.mjs exports it.
export { LiveTemplateClient, LiveTemplateError } from "./client";
export type { ClientEvents, ClientOptions, CloseInfo, SocketState } from "./client";
export { createSocket } from "./socket";
export type { Socket, SocketOptions } from "./socket";
export type { Unsubscribe } from "./emitter";
