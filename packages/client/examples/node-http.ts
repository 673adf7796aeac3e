// A receiver in plain node:http.
import { createServer } from 'node:http';
import { isWebhookVerificationError, verifyWebhook } from '@ricochet/client/webhooks';

export function createReceiver(secret: string, onEvent: (payload: unknown) => void) {
  return createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      // The raw bytes, exactly as they arrived: the signature covers them.
      const payload = await verifyWebhook({
        secret,
        payload: Buffer.concat(chunks),
        headers: request.headers,
      });
      onEvent(payload);
      response.writeHead(204).end();
    } catch (error) {
      if (!isWebhookVerificationError(error)) throw error;
      response.writeHead(400, { 'content-type': 'text/plain' }).end(error.reason);
    }
  });
}
