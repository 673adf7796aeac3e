// The workspace's test kit (source only, never published): what every package's tests share.
export { freePort } from './ports.ts';
export {
  ensureStopped,
  type RicochetProcess,
  startProcess,
  startRicochet,
  startServerScript,
  stopGracefully,
} from './processes.ts';
export { type Behaviour, type ReceivedRequest, type Receiver, respond, startReceiver } from './receiver.ts';
export { type RunningRicochet, startServer } from './ricochet-server.ts';
export {
  postgresBinDir,
  postgresWorkDir,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from './throwaway-postgres.ts';
export { waitFor } from './wait.ts';
