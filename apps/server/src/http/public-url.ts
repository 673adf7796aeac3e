import type { FastifyRequest } from 'fastify';
import type {} from './fastify-decorations.ts';

/**
 * An absolute URL for a path: the configured public URL, else what the request was sent to (the
 * Host, or X-Forwarded-Host and -Proto from a trusted proxy). A host that makes no URL (anyone can
 * send any Host) gets the path alone, which a Location header may be.
 */
export function publicUrl(request: FastifyRequest, path: string): string {
  const base = request.server.ricochetConfig.RICOCHET_PUBLIC_URL ?? `${request.protocol}://${request.host}`;
  try {
    return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
  } catch {
    return path.startsWith('/') ? path : `/${path}`;
  }
}
