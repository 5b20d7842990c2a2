/**
 * fast-check generators of hostile input: handshakes, frame streams, packets
 * and HTTP requests, all as the bytes a raw socket writes, plus the points
 * at which to split them.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';

/** Text with any byte 0x00-0xFF (as latin1), biased towards the bytes that have broken things. */
const latin1 = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc
      .array(fc.constantFrom('\u00e9', '\u00ff', '\u0085', '\u009b', 'a', ' ', '\t', '%', '/', '.', ','), { maxLength })
      .map((c) => c.join('')),
    fc.string({ maxLength }),
  );

/** Text an HTTP parser accepts in a header value (tab, visible ASCII, bytes 0x80-0xFF), half of it high bytes. */
const headerText = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)), {
      maxLength,
      size: 'max',
    })
    .map((codes) => String.fromCharCode(...codes));

/** A header value: mostly one HTTP accepts (so the relay's own code sees it), sometimes not at all. */
const headerValue = fc.oneof(
  { weight: 6, arbitrary: headerText(200) },
  { weight: 1, arbitrary: latin1(40) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)) },
);

const HEADER_NAMES = [
  'Host',
  'Upgrade',
  'Connection',
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Protocol',
  'Sec-WebSocket-Extensions',
  'Origin',
  'Client-Type',
  'Ident',
  'X-Forwarded-For',
  'Content-Length',
  'Content-Type',
  'Transfer-Encoding',
  'Authorization',
  'Expect',
];
const headerName = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: latin1(20) });

const PATHS = ['/', '/web', '/php', '/feedback', '/feedback/batch', '/health', '/metrics', '/demo/job', '/socket.io/', '/client/', '/x'];
const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: latin1(300).map((text) => '/' + text.replace(/[\r\n ]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('*', '', 'http://127.0.0.1/web', '/web?x=1', '/%', '/..%2f..%2fetc/passwd') },
);

/** Cut positions (fractions of the length) at which a stream is split into writes. */
export const splits = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

/** Split `bytes` at the given fractions of its length. */
export function splitAt(bytes: Buffer, fractions: readonly number[]): Buffer[] {
  const cuts = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut > start) parts.push(bytes.subarray(start, cut));
    start = Math.max(start, cut);
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

/** A WebSocket handshake with random headers, most of them plausible; latin1 bytes. */
export const handshake = fc
  .record({
    // Mostly a handshake ws accepts, so that what follows (admission, refusal) is reached too.
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('GET') },
      { weight: 1, arbitrary: fc.constantFrom('POST', 'OPTIONS', 'G\u00e9T') },
    ),
    path: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('/web', '/php', '/') }, { weight: 1, arbitrary: path }),
    version: fc.oneof(
      { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTX') },
    ),
    upgrade: fc.oneof(
      { weight: 6, arbitrary: fc.constant('websocket') },
      { weight: 1, arbitrary: fc.constantFrom('WebSocket', 'h2c', '') },
    ),
    key: fc.oneof({ weight: 6, arbitrary: fc.constant(randomBytes(16).toString('base64')) }, { weight: 1, arbitrary: headerValue }),
    wsVersion: fc.oneof({ weight: 6, arbitrary: fc.constant('13') }, { weight: 1, arbitrary: fc.constantFrom('8', '', 'x') }),
    protocol: fc.option(
      fc.oneof({ weight: 6, arbitrary: fc.constantFrom('websock.v2', 'websock.v2, chat', 'chat') }, { weight: 1, arbitrary: headerValue }),
      { freq: 2 },
    ),
    clientType: fc.option(fc.oneof(fc.constantFrom('php', 'PHP', 'browser'), headerValue), { freq: 2 }),
    origin: fc.option(fc.oneof(fc.constant('http://app.example'), headerValue)),
    ident: fc.option(headerValue, { freq: 2 }),
    forwarded: fc.option(headerValue, { freq: 2 }),
    extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
    tail: fc.uint8Array({ maxLength: 64 }),
  })
  .map((h) => {
    const lines = [`${h.method} ${h.path} ${h.version}`, 'Host: 127.0.0.1', `Upgrade: ${h.upgrade}`, 'Connection: Upgrade'];
    lines.push(`Sec-WebSocket-Key: ${h.key}`, `Sec-WebSocket-Version: ${h.wsVersion}`);
    if (h.protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${h.protocol}`);
    if (h.clientType !== null) lines.push(`Client-Type: ${h.clientType}`);
    if (h.origin !== null) lines.push(`Origin: ${h.origin}`);
    if (h.ident !== null) lines.push(`Ident: ${h.ident}`);
    if (h.forwarded !== null) lines.push(`X-Forwarded-For: ${h.forwarded}`);
    for (const [name, value] of h.extra) lines.push(`${name}: ${value}`);
    return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), Buffer.from(h.tail)]);
  });

const OPCODES = ['feedback', 'echo', 'broadcast', 'quit', 'uuid', 'resume', 'next', 'ready', 'PING', ''];

/** A client packet: a known opcode with random fields, or any JSON, or not JSON at all. */
export const packet: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          opcode: fc.oneof(fc.constantFrom(...OPCODES), fc.jsonValue()),
          uuid: fc.oneof(fc.string(), fc.jsonValue()),
          ident: fc.oneof(fc.string(), fc.jsonValue()),
          message: fc.jsonValue(),
          id: fc.oneof(fc.integer(), fc.string(), fc.jsonValue()),
          lastSeq: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
          progress: fc.jsonValue(),
        },
        { requiredKeys: ['opcode'] },
      )
      .map((p) => JSON.stringify(p)),
  },
  { weight: 1, arbitrary: fc.json() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'bufferON',
      'bufferOFF',
      '{',
      '[]',
      'null',
      '"x"',
      '{"opcode":"feedback","uuid":"' + 'x'.repeat(5000) + '"}',
    ),
  },
  { weight: 1, arbitrary: latin1(100) },
);

export interface FrameSpec {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** How the length is written: honestly, or a lie. */
  length: 'exact' | 'longer' | 'shorter' | 'huge' | 'padded';
}

/** One WebSocket frame from a client: mostly well formed, sometimes anything. */
export const frame: fc.Arbitrary<FrameSpec> = fc.record({
  fin: fc.boolean(),
  rsv: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) }),
  opcode: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(0, 1, 1, 1, 2, 8, 9, 10) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
  ),
  masked: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  payload: fc.oneof(
    { weight: 4, arbitrary: packet.map((text) => Buffer.from(text, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x03, 0xe8]), Buffer.from([0xff, 0xff, 0xc3]), Buffer.alloc(70_000, 'a')) },
  ),
  length: fc.oneof(
    { weight: 8, arbitrary: fc.constant('exact' as const) },
    { weight: 1, arbitrary: fc.constantFrom('longer', 'shorter', 'huge', 'padded') },
  ),
});

/** The bytes of a frame as `spec` describes them. */
export function encodeFrame(spec: FrameSpec): Buffer {
  let declared = spec.payload.length;
  if (spec.length === 'longer') declared += 10;
  if (spec.length === 'shorter') declared = Math.max(0, declared - 3);
  const head: number[] = [(spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.opcode];
  const mask = spec.masked ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (spec.length === 'huge') {
    head.push(mask | 127);
    extended = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  } else if (declared < 126 && spec.length !== 'padded') {
    head.push(mask | declared);
  } else if (declared < 65_536) {
    head.push(mask | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(declared);
  } else {
    head.push(mask | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(declared));
  }
  const key = spec.masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(spec.payload);
  if (spec.masked) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

/** A valid text frame from a client (masked, FIN). */
export function textFrame(text: string): Buffer {
  return encodeFrame({ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.from(text, 'utf8'), length: 'exact' });
}

/** Who the fuzzed connection claims to be once its handshake is valid. */
export const client = fc.record({
  path: fc.constantFrom('/web', '/php', '/'),
  backend: fc.boolean(),
  v2: fc.boolean(),
  ident: fc.option(fc.constantFrom('worker', 'job-1', 'x'.repeat(300))),
});

/** A plain HTTP request to one of the relay's endpoints, honest or not. */
export const httpRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'BREW'),
    path,
    contentType: fc.option(
      fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8'),
    ),
    authorization: fc.option(fc.oneof(fc.constant('Bearer fuzz-secret'), headerValue)),
    origin: fc.option(fc.oneof(fc.constantFrom('http://127.0.0.1', 'https://evil.example', 'null'), headerValue)),
    body: fc.oneof(
      packet,
      fc.json(),
      fc.constant('{"uuid":"x","message":"hi"}'),
      fc.array(packet, { maxLength: 5 }).map((items) => JSON.stringify(items.map((p) => JSON.parse(JSON.stringify(p))))),
      latin1(200),
    ),
    framing: fc.constantFrom('length', 'length', 'chunked', 'bad-chunked', 'lying-length', 'none', 'both'),
    extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
  })
  .map((r) => {
    const body = Buffer.from(r.body, 'utf8');
    const lines = [`${r.method} ${r.path} HTTP/1.1`, 'Host: 127.0.0.1'];
    if (r.contentType !== null) lines.push(`Content-Type: ${r.contentType}`);
    if (r.authorization !== null) lines.push(`Authorization: ${r.authorization}`);
    if (r.origin !== null) lines.push(`Origin: ${r.origin}`);
    for (const [name, value] of r.extra) lines.push(`${name}: ${value}`);
    let payload = body;
    if (r.framing === 'length') lines.push(`Content-Length: ${body.length}`);
    if (r.framing === 'lying-length') lines.push(`Content-Length: ${body.length + 50}`);
    if (r.framing === 'chunked' || r.framing === 'bad-chunked' || r.framing === 'both') {
      lines.push('Transfer-Encoding: chunked');
      if (r.framing === 'both') lines.push(`Content-Length: ${body.length}`);
      const size = r.framing === 'bad-chunked' ? 'zz' : body.length.toString(16);
      payload = Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
    }
    return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
  });
