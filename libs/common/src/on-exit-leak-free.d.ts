// The package ships no types; this is the one function Evently calls.
declare module 'on-exit-leak-free' {
  /** Calls `flush(target)` when the process exits, if `target` is still alive then (it is held weakly). */
  export function register<T extends object>(target: T, flush: (target: T, event: 'exit') => void): void;
}
