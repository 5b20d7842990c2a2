import { describe, expect, it } from 'vitest';
import { memorySessionStore, parseSession, webSessionStore } from './session-store.js';

function fakeStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  };
}

describe('webSessionStore', () => {
  it('round-trips through storage under its key', () => {
    const storage = fakeStorage();
    const store = webSessionStore('k', storage);
    expect(store.load()).toBeNull();
    store.save({ uuid: 'u.sig', lastSeq: 7 });
    expect(JSON.parse(storage.map.get('k') as string)).toEqual({ uuid: 'u.sig', lastSeq: 7 });
    expect(webSessionStore('k', storage).load()).toEqual({ uuid: 'u.sig', lastSeq: 7 });
    store.clear();
    expect(storage.map.has('k')).toBe(false);
    expect(store.load()).toBeNull();
  });

  it('falls back to memory when storage throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const store = webSessionStore('k', broken);
    store.save({ uuid: 'u', lastSeq: 1 });
    expect(store.load()).toEqual({ uuid: 'u', lastSeq: 1 });
    store.clear();
    expect(store.load()).toBeNull();
  });

  it('ignores garbage in storage', () => {
    const storage = fakeStorage();
    storage.setItem('k', '{"uuid":5}');
    expect(webSessionStore('k', storage).load()).toBeNull();
  });
});

describe('parseSession', () => {
  it('accepts only a uuid with a non-negative integer lastSeq', () => {
    expect(parseSession('{"uuid":"a","lastSeq":0}')).toEqual({ uuid: 'a', lastSeq: 0 });
    expect(parseSession('{"uuid":"a","lastSeq":-1}')).toBeNull();
    expect(parseSession('{"uuid":"","lastSeq":1}')).toBeNull();
    expect(parseSession('{"uuid":"a","lastSeq":1.5}')).toBeNull();
    expect(parseSession('not json')).toBeNull();
    expect(parseSession(null)).toBeNull();
  });
});

describe('memorySessionStore', () => {
  it('keeps a copy', () => {
    const store = memorySessionStore();
    const state = { uuid: 'a', lastSeq: 1 };
    store.save(state);
    state.lastSeq = 9;
    expect(store.load()).toEqual({ uuid: 'a', lastSeq: 1 });
  });
});
