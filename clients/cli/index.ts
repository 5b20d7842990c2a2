/** The `websock send` and `websock listen` commands (clients/cli/websock.ts adds them to the program, beside `serve`). */
export { registerClientCommands } from './register-client-commands.js';
export { runSend, planSend } from './send-command.js';
export type { SendFlags } from './send-command.js';
export { runListen } from './listen-command.js';
export type { ListenFlags } from './listen-command.js';
export { ExitCode, exitCodeFor } from './exit-codes.js';
export { resolveCliAddress } from './cli-address.js';
