/** RFC 6455: a close frame's payload is at most 125 bytes, 2 of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The reason of a close frame as bytes: at most 123, cut at a UTF-8
 * character boundary so the peer can decode it (ws throws on a longer
 * reason, and a peer fails the connection on a reason cut mid-character).
 *
 * @example closeReason('é'.repeat(100)).length // 122: 61 whole characters
 */
export function closeReason(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return bytes;
  let end = MAX_CLOSE_REASON_BYTES;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
