import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../services/errors.ts';

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  br: createBrotliDecompress,
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
};

/**
 * apify-client compresses request bodies of 1 KB and more (brotli, or gzip), so bodies are
 * decoded before parsing. Fastify's bodyLimit then counts the decoded bytes, which also stops a
 * small compressed body from expanding without bound.
 */
export async function decompressRequestBody(request: FastifyRequest, reply: FastifyReply, payload: Readable) {
  const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return payload;
  const createDecoder = DECODERS[encoding];
  if (!createDecoder) {
    throw new AppError(
      'unsupported-content-encoding',
      `Content-Encoding "${encoding}" is not supported; send br, gzip, deflate or identity.`,
    );
  }
  const decoder = createDecoder() as unknown as Readable & { receivedEncodedLength: number };
  // Fastify compares Content-Length with the bytes received, which are the encoded ones.
  decoder.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    decoder.receivedEncodedLength += chunk.length;
  });
  // A body that does not decode is the body parser's error (400) when one reads it. Nobody reads it
  // on a GET or HEAD, nor after a 413 has been sent: unhandled there, zlib's 'error' event would
  // take the whole process down. So the decoder always has a listener, and it lets go of the
  // request stream once it fails or the answer is out, so a bomb is not inflated for nobody.
  const release = () => {
    payload.unpipe(decoder as unknown as NodeJS.WritableStream);
    payload.resume();
    if (!decoder.destroyed) decoder.destroy();
  };
  decoder.on('error', release);
  reply.raw.once('close', release);
  payload.on('error', (error) => decoder.destroy(error));
  payload.pipe(decoder as unknown as NodeJS.WritableStream);
  return decoder;
}
