import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** apps/server: where its scripts run from (tsx and its dependencies resolve there). */
const SERVER_DIR = fileURLToPath(new URL('../../../apps/server/', import.meta.url));

/** A process a test started, with its output as lines (stdout and stderr together). */
export type RicochetProcess = {
  child: ChildProcess;
  /** Log lines (JSON) printed so far. */
  lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string | null>;
};

/** Starts `src/main.ts` as its own process, as an operator would run it, with the given env and flags. */
export function startRicochet(flags: string[], env: Record<string, string>): RicochetProcess {
  return startServerScript(['src/main.ts', ...flags], { LOG_LEVEL: 'info', ...env });
}

/** Runs a TypeScript file of apps/server (through tsx) as its own process, collecting its output lines. */
export function startServerScript(args: string[], env: Record<string, string>): RicochetProcess {
  return startProcess(process.execPath, ['--import', 'tsx', ...args], { cwd: SERVER_DIR, env });
}

/** Runs a command as its own process (its env on top of this one's), collecting its output lines. */
export function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): RicochetProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const watcher of watchers.filter((w) => w.pattern.test(line))) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return {
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      const found = lines.find((line) => pattern.test(line));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        watchers.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/**
 * Stops a process as an operator would (SIGTERM), and kills it if it has not exited within
 * `graceMs`; resolves once it has exited.
 */
export async function stopGracefully(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops a process if it still runs (test clean-up). */
export async function ensureStopped(processes: RicochetProcess[]): Promise<void> {
  for (const running of processes) {
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    await running.exited;
  }
}
