/** What a page needs to resume its session after a reconnect or a reload. */
export interface SessionState {
  /** The signed uuid the relay gave this page. */
  uuid: string;
  /** The sequence number of the last message the page received. */
  lastSeq: number;
  /** The epoch that number belongs to (the relay's `ready`/`resumed` say it), when the relay told one. */
  epoch?: string;
  /**
   * The secret `ready` gave with the uuid; only it resumes the session (the
   * uuid is handed out as the page's reply address). Kept in sessionStorage
   * like the uuid, so a reload resumes too, and never sent but in `resume`.
   */
  resumeToken?: string;
}

/** Where a client keeps its session; sessionStorage in a page, memory otherwise. */
export interface SessionStore {
  load(): SessionState | null;
  save(state: SessionState): void;
  clear(): void;
}

/** Keeps the session in memory only: survives reconnects, not reloads. */
export function memorySessionStore(): SessionStore {
  let state: SessionState | null = null;
  return {
    load: () => state,
    save: (next) => {
      state = { ...next };
    },
    clear: () => {
      state = null;
    },
  };
}

/**
 * Keeps the session under `key` in `storage` (sessionStorage by default), so
 * it survives a reload but, unlike localStorage, is not shared by two tabs.
 * Storage may be missing or throw (sandboxed frames, privacy modes); the
 * session then lives in memory only.
 */
export function webSessionStore(key: string, storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): SessionStore {
  const memory = memorySessionStore();
  const target = storage ?? defaultStorage();
  return {
    load() {
      try {
        const parsed = parseSession(target?.getItem(key) ?? null);
        if (parsed) return parsed;
      } catch {
        // Unreadable storage: fall back to what this page saw itself.
      }
      return memory.load();
    },
    save(state) {
      memory.save(state);
      try {
        target?.setItem(key, JSON.stringify(state));
      } catch {
        // Quota or access errors only cost the reload case; reconnects still resume.
      }
    },
    clear() {
      memory.clear();
      try {
        target?.removeItem(key);
      } catch {
        // Nothing more to do.
      }
    },
  };
}

/** Parses a stored session, rejecting anything that is not one. */
export function parseSession(text: string | null): SessionState | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<SessionState> | null;
    if (value && typeof value.uuid === 'string' && value.uuid !== '' && Number.isInteger(value.lastSeq) && (value.lastSeq as number) >= 0) {
      const state: SessionState = { uuid: value.uuid, lastSeq: value.lastSeq as number };
      if (typeof value.epoch === 'string' && value.epoch !== '' && value.epoch.length <= 64) state.epoch = value.epoch;
      if (typeof value.resumeToken === 'string' && value.resumeToken !== '') state.resumeToken = value.resumeToken;
      return state;
    }
  } catch {
    // Garbage in storage is treated as no session.
  }
  return null;
}

function defaultStorage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}
