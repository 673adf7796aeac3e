import { z } from 'zod';
import {
  RequestUrlSchema,
  StaticHeadersSchema,
  StaticPropertiesSchema,
  WebhookSecretSchema,
} from './webhook.ts';

/**
 * SuperOffice's webhook definition, as `POST /api/v1/Webhook/Test` takes it. Only TargetUrl is
 * required; the associate objects and the other bookkeeping fields are accepted and ignored.
 */
export const SuperOfficeWebhookSchema = z
  .object({
    WebhookId: z.number().int().nullish(),
    Name: z.string().max(500).nullish(),
    Events: z.array(z.string().max(100)).max(100).nullish(),
    TargetUrl: RequestUrlSchema,
    Secret: WebhookSecretSchema.nullish(),
    State: z.string().nullish(),
    Type: z.string().nullish(),
    Headers: StaticHeadersSchema.nullish(),
    Properties: StaticPropertiesSchema.nullish(),
  })
  .meta({ id: 'SuperOfficeWebhook' });
export type SuperOfficeWebhook = z.input<typeof SuperOfficeWebhookSchema>;

export const SuperOfficeWebhookResultSchema = z
  .object({ Success: z.boolean(), Message: z.string() })
  .meta({ id: 'SuperOfficeWebhookResult' });
export type SuperOfficeWebhookResult = z.infer<typeof SuperOfficeWebhookResultSchema>;
