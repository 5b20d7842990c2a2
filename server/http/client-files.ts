import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { demoPaths } from '../demo/demo-paths.js';
import { type HttpRouter, sendJson } from './http-router.js';

/** The built browser client files the relay serves, and their types. */
const CLIENT_FILES: Record<string, string> = {
  'websock-client.mjs': 'text/javascript; charset=utf-8',
  'websock-client.mjs.map': 'application/json',
  'socketWebClient.js': 'text/javascript; charset=utf-8',
  'socketWebClient.js.map': 'application/json',
};

/**
 * Serve the browser client (`/websock-client.mjs`, `/socketWebClient.js`)
 * whether or not the demo is on, with `Access-Control-Allow-Origin: *`:
 * they are public static scripts, and a page on another origin (a PHP site
 * on its own host or port) can only `import` a module from the relay when
 * the relay allows it by CORS.
 */
export function installClientFiles(router: HttpRouter, dir = demoPaths().pageDir): void {
  for (const [name, type] of Object.entries(CLIENT_FILES)) {
    const file = join(dir, name);
    router.add('GET', `/${name}`, function clientFileHandler(_req: IncomingMessage, res: ServerResponse) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        sendJson(res, 404, { error: `${name} is not built: run npm run build`, code: 'NOT_FOUND' });
        return;
      }
      res.writeHead(200, {
        'content-type': type,
        'content-length': size,
        'cache-control': 'no-cache',
        'access-control-allow-origin': '*',
      });
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    });
  }
}
