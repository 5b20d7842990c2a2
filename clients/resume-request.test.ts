import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResumeRequest } from './resume-request.js';

function start() {
  const written: string[] = [];
  const request = new ResumeRequest({ send: (text) => written.push(text) }, 'old.sig', 'token-1', 41, 'resume-1', 1000);
  return { written, request };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ResumeRequest', () => {
  it('asks for the old uuid, with its resumeToken, from the last sequence number seen', () => {
    const { written } = start();
    expect(JSON.parse(written[0]!)).toEqual({ opcode: 'resume', uuid: 'old.sig', resumeToken: 'token-1', lastSeq: 41, id: 'resume-1' });
  });

  it('settles with the uuid and recovered flag of `resumed`', async () => {
    const { request } = start();
    expect(request.offer({ opcode: 'feedback' })).toBe(false);
    expect(request.offer({ opcode: 'resumed', uuid: 'old.sig', resumeToken: 'token-1', recovered: true, lastSeq: 45 })).toBe(true);
    await expect(request.result).resolves.toEqual({ uuid: 'old.sig', resumeToken: 'token-1', recovered: true, floor: 41 });
  });

  it('reports a gap as recovered: false', async () => {
    const { request } = start();
    request.offer({ opcode: 'resumed', uuid: 'old.sig', recovered: false, lastSeq: 90 });
    await expect(request.result).resolves.toEqual({ uuid: 'old.sig', resumeToken: null, recovered: false, floor: 41 });
  });

  it('lowers the floor to the relay lastSeq when the relay numbers from 1 again (it forgot the session)', () => {
    const { request } = start();
    request.offer({ opcode: 'resumed', uuid: 'old.sig', recovered: false, lastSeq: 0 });
    expect(request.settled).toEqual({ uuid: 'old.sig', resumeToken: null, recovered: false, floor: 0 });
  });

  it('settles as not resumed on an error for its id, and ignores other errors', async () => {
    const { request } = start();
    expect(request.offer({ opcode: 'error', id: 7, code: 'BAD_PACKET' })).toBe(false);
    expect(request.offer({ opcode: 'error', id: 'resume-1', code: 'RESUME_FAILED' })).toBe(true);
    await expect(request.result).resolves.toEqual({ uuid: null, resumeToken: null, recovered: false, floor: 0 });
  });

  it('gives up after the timeout', async () => {
    vi.useFakeTimers();
    const { request } = start();
    vi.advanceTimersByTime(1000);
    await expect(request.result).resolves.toEqual({ uuid: null, resumeToken: null, recovered: false, floor: 0 });
  });
});
