import { z } from 'zod';

// Runs before any of the app's modules (Next's instrumentation-client): zod compiles its fastest
// parsers with new Function(), probing for it the first time a schema is made, and the pages'
// Content-Security-Policy allows no eval (src/proxy.ts). Told first, it never tries.
z.config({ jitless: true });
