// A small event emitter: the modules below the UI tell it what happened
// without knowing it exists (state.js and connection.js never touch the DOM).

export class Emitter {
  #listeners = new Map();

  /** Call `listener(detail)` on each `type` event; returns a function that stops it. */
  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.#listeners.get(type)?.delete(listener);
  }

  emit(type, detail) {
    for (const listener of this.#listeners.get(type) ?? []) listener(detail);
  }
}
