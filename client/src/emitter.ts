// A small typed event emitter: on() returns the function that removes the
// listener.

/** Removes a listener. */
export type Unsubscribe = () => void;

export class Emitter<M extends object> {
  private readonly ls_ = new Map<keyof M, Set<(arg: never) => void>>();

  /** Calls fn on every emit of name until the returned function is called. */
  on<K extends keyof M>(name: K, fn: (arg: M[K]) => void): Unsubscribe {
    let set = this.ls_.get(name);
    if (!set) this.ls_.set(name, (set = new Set()));
    const f = fn as (arg: never) => void;
    set.add(f);
    return () => {
      set.delete(f);
    };
  }

  /** Calls the listeners of name; one that throws does not stop the others. */
  emit<K extends keyof M>(name: K, arg: M[K]): void {
    const set = this.ls_.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (a: M[K]) => void)(arg);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}
