import type { Config } from '../config.ts';
import type { Principal } from '../services/tokens.ts';
import type { Authentication } from './auth.ts';

// What app.ts decorates Fastify's request and instance with, declared where every reader of them
// can import it (the REST routes, publicUrl), not only the file that sets them.
declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    authenticatedBy: Authentication['by'];
  }
  interface FastifyInstance {
    ricochetConfig: Config;
  }
}
