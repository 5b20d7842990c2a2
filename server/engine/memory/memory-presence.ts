import type { Connection } from '../../transport/connection.js';
import type { HeldName, Presence } from '../presence.js';

/** Where the memory registry looks: the node's hub, which already knows every holder. */
export interface HolderSource {
  byKey(key: string): Connection | undefined;
  byIdent(ident: string): Connection | undefined;
}

/** One node's registry: the hub is the truth, so holding and releasing are nothing to do. */
export class MemoryPresence implements Presence {
  readonly #hub: HolderSource;
  readonly #nodeId: string;

  constructor(hub: HolderSource, nodeId: string) {
    this.#hub = hub;
    this.#nodeId = nodeId;
  }

  hold(): Promise<void> {
    return Promise.resolve();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  holder(name: HeldName): Promise<string | null> {
    const conn = name.kind === 'uuid' ? this.#hub.byKey(name.key) : this.#hub.byIdent(name.ident);
    return Promise.resolve(conn?.open === true ? this.#nodeId : null);
  }
}
