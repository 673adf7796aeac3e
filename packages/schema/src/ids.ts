import { z } from 'zod';

/** Record ids look like Apify's: 17 characters from [A-Za-z0-9]. */
export const RECORD_ID_LENGTH = 17;
export const RECORD_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * An id as it arrives in a path or an input. Kept loose (any short token) so that a malformed id is
 * answered like an unknown one, 404 record-not-found, as Apify does, and not as invalid input.
 */
export const RecordIdSchema = z.string().min(1).max(64);
