// A Next.js route handler: app/api/webhooks/ricochet/route.ts (Node or Edge runtime alike).
import { isWebhookVerificationError, verifyWebhook } from '@ricochet/client/webhooks';

type RicochetDelivery = { eventType: string; eventData: Record<string, unknown> };

export async function POST(request: Request): Promise<Response> {
  try {
    const delivery = await verifyWebhook<RicochetDelivery>({
      secret: process.env.RICOCHET_WEBHOOK_SECRET ?? '',
      payload: await request.text(),
      headers: request.headers,
    });
    // ...handle delivery.eventType / delivery.eventData; dedupe on request.headers.get('webhook-id').
    return Response.json({ received: delivery.eventType });
  } catch (error) {
    if (!isWebhookVerificationError(error)) throw error;
    return new Response(error.reason, { status: 400 });
  }
}
