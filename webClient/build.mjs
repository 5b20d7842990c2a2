// Builds the browser client (run by `npm run build` after tsc):
//   webClient/dist/websock-client.mjs   ES module
//   webClient/dist/socketWebClient.js   classic script: global socketWebClient() (+ window.websock)
//   webClient/dist/index.html, demo.css, demo.js   the demo page that `installDemo` serves
//   webClient/novosga/dist/                          the Novo SGA panel and attendant pages (served at /novosga/)
// The browser sources are type-checked with their own tsconfig (DOM lib) first,
// since esbuild only strips types. Prints the minified+gzipped sizes.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });

const novosgaOut = join(here, 'novosga', 'dist');
mkdirSync(out, { recursive: true });
mkdirSync(novosgaOut, { recursive: true });
const common = { bundle: true, minify: true, sourcemap: true, target: ['es2022'], legalComments: 'none', logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: [join(here, 'src/index.ts')], format: 'esm', outfile: join(out, 'websock-client.mjs') }),
  build({ ...common, entryPoints: [join(here, 'src/classic.ts')], format: 'iife', outfile: join(out, 'socketWebClient.js') }),
  build({ ...common, entryPoints: [join(here, 'demo/demo.ts')], format: 'esm', outfile: join(out, 'demo.js') }),
  ...['panel', 'attendant'].map((page) =>
    build({ ...common, entryPoints: [join(here, `novosga/${page}.ts`)], format: 'esm', outfile: join(novosgaOut, `${page}.js`) }),
  ),
]);
for (const file of ['index.html', 'demo.css']) copyFileSync(join(here, 'demo', file), join(out, file));
for (const file of ['index.html', 'panel.html', 'attendant.html', 'novosga.css'])
  copyFileSync(join(here, 'novosga', file), join(novosgaOut, file));

for (const file of ['websock-client.mjs', 'socketWebClient.js']) {
  const bytes = readFileSync(join(out, file));
  console.log(`webClient/dist/${file}: ${bytes.length} bytes minified, ${gzipSync(bytes, { level: 9 }).length} bytes gzipped`);
}
