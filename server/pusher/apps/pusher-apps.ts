import type { PusherApp } from './pusher-app.js';

/**
 * The configured Pusher apps, found by key (a WebSocket's `/app/{key}`, the
 * HTTP API's `auth_key`) or by id (the HTTP API's `/apps/{id}`). Built once;
 * duplicates are refused by the config reader before this is made.
 */
export class PusherApps {
  readonly #byKey = new Map<string, PusherApp>();
  readonly #byId = new Map<string, PusherApp>();

  constructor(apps: readonly PusherApp[]) {
    for (const app of apps) {
      if (this.#byKey.has(app.key)) throw new Error(`two Pusher apps have the key "${app.key}"`);
      if (this.#byId.has(app.id)) throw new Error(`two Pusher apps have the id "${app.id}"`);
      this.#byKey.set(app.key, app);
      this.#byId.set(app.id, app);
    }
  }

  /** The app with this key, or undefined (a WebSocket is then closed 4001). */
  byKey(key: string): PusherApp | undefined {
    return this.#byKey.get(key);
  }

  /** The app with this id, or undefined (the HTTP API answers 404). */
  byId(id: string): PusherApp | undefined {
    return this.#byId.get(id);
  }

  all(): IterableIterator<PusherApp> {
    return this.#byId.values();
  }

  /** How many apps; 0 means the Pusher endpoints are not served. */
  get size(): number {
    return this.#byId.size;
  }
}
