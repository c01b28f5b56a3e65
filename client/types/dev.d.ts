/** dev passes m, a dev message from the live endpoint at url (ws: or wss:), to the dev script. */
export declare function dev(url: string, m: object): void;
