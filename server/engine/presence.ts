/** A name a connection is reached by. */
export type HeldName = { readonly kind: 'uuid'; readonly key: string } | { readonly kind: 'ident'; readonly ident: string };

/**
 * The registry of who holds each uuid and Ident: a node id per name.
 *
 * What an implementer guarantees:
 * - After `hold` resolves, `holder` answers this node on every node until
 *   `release` or another node's later `hold` of the same name (the newest
 *   holder wins, as a newer Ident connection replaces an older one).
 * - Entries of a node that stopped without releasing (killed, cut off) go
 *   away by themselves within the engine's expiry, and `holder` never names
 *   a node it knows to be dead.
 * - `release` of a name another node took over since leaves it to that node.
 */
export interface Presence {
  hold(name: HeldName): Promise<void>;
  release(name: HeldName): Promise<void>;
  /** The node holding `name`, or null when no live node does. */
  holder(name: HeldName): Promise<string | null>;
}
