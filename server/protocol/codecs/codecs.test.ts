import { describe, expect, it } from 'vitest';
import { PUSHER_DEFAULT_LIMITS } from '../../pusher/apps/pusher-app.js';
import { pusherCodec } from './pusher-codec.js';
import { V1_CODEC, V2_CODEC } from './relay-codecs.js';

describe('protocol codecs (pure: text in, text out)', () => {
  const pusher = pusherCodec(PUSHER_DEFAULT_LIMITS);

  it('greet in each protocol’s words', () => {
    expect(JSON.parse(V2_CODEC.greeting({ uuid: 'u.s', epoch: 'e1', resumeToken: 't', paddedForPhp: false }))).toEqual({
      opcode: 'ready',
      uuid: 'u.s',
      protocol: 2,
      epoch: 'e1',
      resumeToken: 't',
    });
    const padded = V1_CODEC.greeting({ uuid: 'u.s', epoch: null, resumeToken: null, paddedForPhp: true });
    // 1020 bytes of payload: with its 4-byte header the frame is the 1024 bytes a PHP backend reads.
    expect(padded.length).toBe(1020);
    expect(JSON.parse(padded)).toEqual({ opcode: 'ready', uuid: 'u.s' });
    const established = JSON.parse(pusher.greeting({ socketId: '1.2', activityTimeoutS: 120 })) as { event: string; data: string };
    expect(established.event).toBe('pusher:connection_established');
    expect(JSON.parse(established.data)).toEqual({ socket_id: '1.2', activity_timeout: 120 });
  });

  it('decode anything without throwing', () => {
    for (const text of [
      '',
      'nul',
      '[]',
      '1',
      '"x"',
      '{"opcode":3}',
      '{"event":[]}',
      '{"event":"pusher:subscribe","data":7}',
      '\u0000',
      '{'.repeat(5000),
    ]) {
      expect(() => V1_CODEC.decode(text)).not.toThrow();
      expect(() => pusher.decode(text)).not.toThrow();
    }
    expect(V2_CODEC.decode('{"opcode":"echo"}')).toEqual({ packet: { opcode: 'echo' } });
    expect(V2_CODEC.decode('[1]')).toEqual({ invalid: 'NOT_AN_OBJECT' });
    expect(pusher.decode('{"event":"pusher:subscribe","data":{"channel":"private-a"}}')).toEqual({
      kind: 'subscribe',
      channel: 'private-a',
      auth: null,
      channelData: null,
    });
    expect(pusher.decode(JSON.stringify({ event: 'client-x', channel: 'private-a', data: 'x'.repeat(11_000) }))).toMatchObject({
      kind: 'invalid',
      error: 'TOO_LARGE',
    });
  });

  it('map errors to what each protocol tells and the close it implies', () => {
    expect(V1_CODEC.error('UNKNOWN_OPCODE')).toEqual({ reply: null, lastWords: null, close: null });
    expect(V1_CODEC.error('BAD_JSON')).toMatchObject({ reply: null, close: 1007 });
    expect(JSON.parse(V1_CODEC.error('BAD_JSON').lastWords!)).toMatchObject({ opcode: 'close' });
    expect(JSON.parse(V2_CODEC.error('UNKNOWN_OPCODE', undefined, 7).reply!)).toMatchObject({
      opcode: 'error',
      code: 'UNKNOWN_OPCODE',
      id: 7,
    });
    expect(pusher.error('RATE_LIMITED')).toMatchObject({ close: null });
    expect(JSON.parse(pusher.error('RATE_LIMITED').reply!)).toMatchObject({ event: 'pusher:error', data: { code: 4301 } });
    expect(pusher.error('UNKNOWN_APP').close).toBe(4001);
  });
});
