import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) a live process has used; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU milliseconds a process and every child it has reaped have used (utime + stime + cutime +
 * cstime). For a PostgreSQL postmaster that is the whole cluster's CPU except its live backends,
 * which clusterCpuMs adds: exact, whatever connections came and went.
 */
function selfAndReapedChildrenCpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
  return (((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) * 1000) / TICKS_PER_SECOND;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The CPU milliseconds of a PostgreSQL cluster so far: its postmaster, live and finished children. */
export function clusterCpuMs(postmasterPid: number): number {
  return (
    selfAndReapedChildrenCpuMs(postmasterPid) +
    childPids(postmasterPid).reduce((sum, child) => sum + processCpuMs(child), 0)
  );
}

/** A named set of CPU counters, read together before and after a measured run. */
export type CpuMeter = Record<string, () => number>;

/** Reads every counter now; call the result to get each counter's milliseconds since. */
export function startCpu(meter: CpuMeter): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(meter).map(([name, read]) => [name, read()]));
  return () =>
    Object.fromEntries(Object.entries(meter).map(([name, read]) => [name, read() - (before[name] ?? 0)]));
}

/** This process's own CPU milliseconds (the load generator). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
