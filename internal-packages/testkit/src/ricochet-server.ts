import { randomBytes } from 'node:crypto';
import { ensureStopped, type RicochetProcess, startRicochet } from './processes.ts';

export type RunningRicochet = {
  baseUrl: string;
  /** The admin's API token. */
  token: string;
  process: RicochetProcess;
  stop(): Promise<void>;
};

/**
 * Starts a real Ricochet process (API + worker) as an operator would, on a fresh embedded database
 * unless `env` names a DATABASE_URL, listening on a free loopback port, deliveries to loopback allowed.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningRicochet> {
  const token = `ricochet_test_${randomBytes(12).toString('hex')}`;
  const process = startRicochet([], {
    PORT: '0',
    HOST: '127.0.0.1',
    RICOCHET_DATA_DIR: 'memory://',
    RICOCHET_ADMIN_TOKEN: token,
    OUTBOUND_ALLOW_LOOPBACK: 'true',
    DELIVERY_POLL_INTERVAL_MS: '200',
    ...env,
  });
  try {
    const listening = await process.waitForLine(/Server listening at http:\/\/127\.0\.0\.1:\d+/, 180_000);
    const baseUrl = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening)?.[1] as string;
    // The admin (and so the token) may be created after the port is bound: wait for it too.
    await process.waitForLine(/created the first admin user/, 180_000);
    return { baseUrl, token, process, stop: () => ensureStopped([process]) };
  } catch (error) {
    await ensureStopped([process]);
    throw error;
  }
}
