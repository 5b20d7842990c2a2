/** Messages between the runner and its child processes (Node IPC, JSON). */
export interface IpcMessage {
  type: string;
  [field: string]: unknown;
}

export function isIpcMessage(value: unknown): value is IpcMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
