import type { Relay } from '../relay.js';

/** Serves the demo page and its job endpoint on the relay's HTTP port. */
export function installDemo(_relay: Relay): void {
  // Filled in by the demo work.
}
