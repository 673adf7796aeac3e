import type { FastifyRequest } from 'fastify';

/** An absolute URL for a path: the configured public URL, else what the request was sent to. */
export function publicUrl(request: FastifyRequest, path: string): string {
  const base = request.server.ricochetConfig.RICOCHET_PUBLIC_URL ?? `${request.protocol}://${request.host}`;
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
