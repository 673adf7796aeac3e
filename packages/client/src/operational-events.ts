import {
  isOperationalEventType,
  type OperationalEventData,
  OperationalEventDataSchemas,
  type OperationalEventType,
} from '@ricochet/schema';

/**
 * An operational event as a receiver gets it (the default payload): what Ricochet says about the
 * user's own webhooks and dispatches (`ricochet.webhook.disabled`, `ricochet.dispatch.exhausted`,
 * ...), its eventData typed by its eventType.
 */
export type OperationalEventPayload = {
  [Type in OperationalEventType]: {
    eventType: Type;
    eventData: OperationalEventData<Type>;
    userId: string;
    createdAt: string;
  };
}[OperationalEventType];

/**
 * Reads a verified payload (see verifyWebhook) as an operational event: null when it is another
 * event, the event typed by its eventType when it is one, and an error when it claims to be one
 * but its eventData is not what the type documents.
 */
export function parseOperationalEvent(payload: unknown): OperationalEventPayload | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { eventType, eventData, userId, createdAt } = payload as Record<string, unknown>;
  if (typeof eventType !== 'string' || !isOperationalEventType(eventType)) return null;
  const data = OperationalEventDataSchemas[eventType].parse(eventData);
  return {
    eventType,
    eventData: data,
    userId: String(userId),
    createdAt: String(createdAt),
  } as OperationalEventPayload;
}

export {
  isOperationalEventType,
  OPERATIONAL_EVENT_TYPES,
  type OperationalEventData,
  type OperationalEventType,
} from '@ricochet/schema';
