/**
 * Give a forwarded JSON object its per-recipient `seq` without
 * re-serialising it: `{"seq":N,` is spliced in front of the original fields.
 * A packet that already has a `seq` of its own is re-serialised instead, so
 * the relay's number is the one a parser sees.
 */
export function withSequence(raw: Buffer | string, packet: { [field: string]: unknown }, seq: number): string {
  if (Object.prototype.hasOwnProperty.call(packet, 'seq')) {
    return JSON.stringify({ ...packet, seq });
  }
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const open = text.indexOf('{');
  let rest = open + 1;
  while (rest < text.length && isSpace(text.charCodeAt(rest))) rest++;
  const empty = text[rest] === '}';
  return `{"seq":${seq}${empty ? '' : ','}${text.slice(open + 1)}`;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * What a shared log needs to splice a seq in itself: the message after its
 * opening brace, and whether the object is empty, so that the sequenced text
 * is `{"seq":N` + (empty ? '' : ',') + after — the same text withSequence
 * makes. A packet with a `seq` of its own is re-serialised without it.
 */
export function sequenceParts(raw: Buffer | string, packet: { [field: string]: unknown }): { after: string; empty: boolean } {
  const text = Object.prototype.hasOwnProperty.call(packet, 'seq')
    ? JSON.stringify({ ...packet, seq: undefined })
    : typeof raw === 'string'
      ? raw
      : raw.toString('utf8');
  const open = text.indexOf('{');
  let rest = open + 1;
  while (rest < text.length && isSpace(text.charCodeAt(rest))) rest++;
  return { after: text.slice(open + 1), empty: text[rest] === '}' };
}
