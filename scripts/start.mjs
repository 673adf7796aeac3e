#!/usr/bin/env node
// `pnpm start`: builds what is missing or stale (Turborepo's cache makes a repeat start quick),
// then runs the dashboard (apps/dashboard/server.mjs: Next's production server) and the API + worker side by side, and prints the one URL
// to open. Ctrl-C stops both. Ports: PORT (API, 8787) and DASHBOARD_PORT (8788).
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const host = process.env.HOST ?? '127.0.0.1';
const apiPort = process.env.PORT ?? '8787';
const dashboardPort = process.env.DASHBOARD_PORT ?? '8788';
const browserHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
const dashboardUrl = process.env.RICOCHET_DASHBOARD_URL ?? `http://${browserHost}:${dashboardPort}`;
// The pnpm that runs this script (npm_execpath), run with this Node: the README's
// `npx --yes pnpm@... start` works on a machine where no pnpm is installed or on the PATH.
const pnpmEntry = process.env.npm_execpath;
const [pnpm, pnpmArgs] =
  pnpmEntry && /pnpm\.c?js$/.test(pnpmEntry)
    ? [process.execPath, [pnpmEntry]]
    : [process.platform === 'win32' ? 'pnpm.cmd' : 'pnpm', []];

console.log('Building the dashboard (cached after the first time)...');
const build = spawnSync(
  pnpm,
  [...pnpmArgs, 'exec', 'turbo', 'run', 'build', '--filter=@ricochet/dashboard', '--output-logs=errors-only'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } },
);
if (build.status !== 0) process.exit(build.status ?? 1);

const children = [];
let stopping = false;
function run(name, command, args, options) {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? code}); stopping.`);
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}
function stop(code = 0) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 200).unref();
  Promise.all(
    children.map((child) => (child.exitCode === null ? new Promise((r) => child.on('exit', r)) : null)),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('dashboard', process.execPath, ['server.mjs', '--port', dashboardPort, '--hostname', host], {
  cwd: `${root}/apps/dashboard`,
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', RICOCHET_API_URL: `http://${browserHost}:${apiPort}` },
});
// The API prints the URL to open (a setup link on a fresh install), so start it once the dashboard answers.
for (let i = 0; i < 600 && !stopping; i++) {
  try {
    await fetch(`http://${browserHost}:${dashboardPort}/sign-in`, { method: 'HEAD' });
    break;
  } catch {
    await sleep(100);
  }
}
run('api', process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: `${root}/apps/server`,
  env: { ...process.env, PORT: apiPort, RICOCHET_DASHBOARD_URL: dashboardUrl },
});
