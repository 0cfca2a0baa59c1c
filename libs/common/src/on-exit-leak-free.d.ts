// The package ships no types; this is the one function Evently calls.
declare module 'on-exit-leak-free' {
  /** Calls `flush(target)` at the process's exit (and beforeExit) while `target` is alive; holds it weakly. */
  export function register<T extends object>(target: T, flush: (target: T, event: 'exit' | 'beforeExit') => void): void;
}
