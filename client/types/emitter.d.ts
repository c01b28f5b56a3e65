/** Removes a listener. */
export type Unsubscribe = () => void;
export declare class Emitter<M extends object> {
    private readonly ls_;
    /** Calls fn on every emit of name until the returned function is called. */
    on<K extends keyof M>(name: K, fn: (arg: M[K]) => void): Unsubscribe;
    /** Calls the listeners of name; one that throws does not stop the others. */
    emit<K extends keyof M>(name: K, arg: M[K]): void;
}
