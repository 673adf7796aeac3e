/** Every figure the run measured, by key, one value per repetition. */
const results = new Map<string, number[]>();
const STARTED = Date.now();

export function log(message: string): void {
  process.stdout.write(`[bench ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
}

export function minutesSinceStart(): number {
  return (Date.now() - STARTED) / 60_000;
}

export function record(key: string, value: number): void {
  const list = results.get(key) ?? [];
  list.push(value);
  results.set(key, list);
  log(`${key}: ${Number.isFinite(value) ? value.toFixed(value < 100 ? 2 : 0) : value}`);
}

export function allResults(): ReadonlyMap<string, number[]> {
  return results;
}

function finite(key: string): number[] {
  return (results.get(key) ?? []).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
}

export function median(key: string): number {
  const values = finite(key);
  return values.length ? (values[Math.floor(values.length / 2)] as number) : Number.NaN;
}

export function format(value: number, digits = 0): string {
  return Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

/** "median (min–max)", or the one value, or n/a. */
export function summary(key: string, digits = 0): string {
  const values = finite(key);
  if (values.length === 0) return 'n/a';
  const middle = format(values[Math.floor(values.length / 2)] as number, digits);
  return values.length === 1
    ? middle
    : `${middle} (${format(values[0] as number, digits)}–${format(values.at(-1) as number, digits)})`;
}

export function ratio(a: string, b: string): number {
  return median(a) / median(b);
}

/**
 * Records the CPU milliseconds per delivery of each process group of a run (`cpu` from startCpu),
 * under `${key} cpu <group>`, and their sum under `${key} cpu total`.
 */
export function recordCpu(key: string, cpu: Record<string, number>, deliveries: number): void {
  let total = 0;
  for (const [group, ms] of Object.entries(cpu)) {
    record(`${key} cpu ${group}`, ms / deliveries);
    total += ms;
  }
  record(`${key} cpu total`, total / deliveries);
}
