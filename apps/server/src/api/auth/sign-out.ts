import { z } from 'zod';
import { signOut as endSession } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';

export const signOut = defineOperation({
  summary: 'End the session and clear its cookie',
  access: 'public',
  procedure: 'mutation',
  output: z.null(),
  run: async ({ prisma, principal, http }) => {
    const session = principal?.session;
    if (session) await endSession(prisma, { sessionId: session.id });
    http?.clearSessionCookie();
    return null;
  },
});
