// The client's public API, as the ES module livetemplate.mjs exports it.
import * as commands from "./commands";
import { scriptURL } from "./nav";
import { scriptURL as uploadURL } from "./upload";
import { useCommands } from "./run";

// The chunk is served at this module's URL; the module has the commands' code already.
scriptURL(import.meta.url);
uploadURL(import.meta.url);
useCommands(commands);

export { LiveTemplateClient, LiveTemplateError } from "./client";
export type { ClientEvents, ClientOptions, CloseInfo, LeaderInfo, SocketState, Status } from "./client";
export type { Hook, HookContext, Hooks } from "./hooks";
export { exec } from "./commands";
export type { Command, CommandArgs, Push } from "./commands";
export { createSocket } from "./socket";
export type { DropReason, Frame, Socket, SocketOptions } from "./socket";
export { createBus } from "./bus";
export type { Bus, BusMessage, BusOptions, RequestOptions, Responder } from "./bus";
export { createLeaderElector } from "./leader";
export type { LeaderElector, LeaderOptions } from "./leader";
export type { Unsubscribe } from "./emitter";
