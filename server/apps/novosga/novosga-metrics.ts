/**
 * The event server's numbers in the relay's /metrics: connected clients by
 * role, events received, refusals by code. Read at scrape time from the
 * server's plain counters; nothing is done per event beyond an increment.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Registration } from './rooms.js';
import type { NovosgaEventServer } from './event-server.js';

const ROLES = ['panel', 'triage', 'user', 'unregistered'] as const;

/** Register the metrics in `registry` (the relay's). */
export function registerNovosgaMetrics(registry: Registry, server: NovosgaEventServer): void {
  const registers = [registry];
  new Gauge({
    name: 'websock_novosga_clients',
    help: 'Novo SGA socket.io clients connected to this relay, by role.',
    labelNames: ['role'] as const,
    registers,
    collect() {
      const counts = new Map<string, number>(ROLES.map((role) => [role, 0]));
      for (const socket of server.io.sockets.sockets.values()) {
        const role = (socket.data as Partial<Registration> | undefined)?.role ?? 'unregistered';
        counts.set(role, (counts.get(role) ?? 0) + 1);
      }
      for (const [role, count] of counts) this.set({ role }, count);
    },
  });
  new Counter({
    name: 'websock_novosga_events_total',
    help: 'Events received from Novo SGA clients.',
    registers,
    collect() {
      this.reset();
      this.inc(server.counters.events);
    },
  });
  new Counter({
    name: 'websock_novosga_refused_total',
    help: 'Novo SGA registrations and events refused, by request error code.',
    labelNames: ['code'] as const,
    registers,
    collect() {
      this.reset();
      for (const [code, count] of server.counters.refused) this.inc({ code }, count);
    },
  });
}
