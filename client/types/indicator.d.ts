import type { Status } from "./status";
/**
 * Shows status in ind, a client's indicator (made when undefined), which it puts back in the body
 * when a render of the whole document took it out; returns the indicator.
 */
export declare function indicate(ind: HTMLElement | undefined, status: Status): HTMLElement;
