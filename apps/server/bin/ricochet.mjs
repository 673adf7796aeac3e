#!/usr/bin/env node
// `ricochet start [--api] [--worker]` runs the server; any other command is an operator command
// (users, tokens, migrate). An installed package runs its build (dist/, plain JavaScript) in this
// very process, so signals reach the server directly; a checkout of the repository, which has src/
// and tsx, runs the sources instead, so they are never stale.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const starting = process.argv[2] === 'start';
if (starting) process.argv.splice(2, 1); // main's own flags follow
const entry = starting ? 'main' : 'cli';
const source = fileURLToPath(new URL(`../src/${entry}.ts`, import.meta.url));

let tsx;
if (existsSync(source)) {
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    // A checkout without dev dependencies: run the build.
  }
}

if (tsx) {
  // In the server package's folder, as `pnpm start` runs: the same default RICOCHET_DATA_DIR (and
  // relative paths) name the same embedded database.
  const serverDir = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--no-warnings', '--import', tsx, source, ...process.argv.slice(2)],
    { stdio: 'inherit', cwd: serverDir },
  );
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await import(new URL(`../dist/${entry}.js`, import.meta.url).href);
}
