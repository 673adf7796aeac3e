// A receiver in Express (4 or 5).
import { isWebhookVerificationError, verifyWebhook } from '@ricochet/client/webhooks';
import express, { type Express } from 'express';

export function createApp(secret: string, onEvent: (payload: unknown) => void): Express {
  const app = express();
  // express.raw, not express.json: the signature covers the body's exact bytes.
  app.post('/webhooks/ricochet', express.raw({ type: '*/*' }), async (request, response) => {
    try {
      const payload = await verifyWebhook({ secret, payload: request.body, headers: request.headers });
      onEvent(payload);
      response.sendStatus(204);
    } catch (error) {
      if (!isWebhookVerificationError(error)) throw error;
      response.status(400).type('text/plain').send(error.reason);
    }
  });
  return app;
}
