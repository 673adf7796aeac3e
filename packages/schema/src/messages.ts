import { z } from 'zod';

const KINDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
  date: 'a date',
  null: 'null',
};

function count(amount: number | bigint, one: string, many: string): string {
  return `${amount} ${Number(amount) === 1 ? one : many}`;
}

/**
 * Zod's built-in messages are written for programmers ("Too small: expected string to have >=1
 * characters"); these say the same for a person, after the field's name (`requestUrl: must not be
 * empty`) or under a form's field. Messages a schema gives itself (`must be an absolute http://
 * URL`) win over these; anything not covered here keeps zod's own.
 */
export const readableZodError: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      return `must be ${KINDS[issue.expected] ?? issue.expected}`;
    }
    case 'too_small': {
      const minimum = issue.minimum;
      if (issue.origin === 'string') {
        return Number(minimum) <= 1
          ? 'must not be empty'
          : `must be at least ${count(minimum, 'character', 'characters')}`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return Number(minimum) <= 1
          ? 'must not be empty'
          : `must have at least ${count(minimum, 'item', 'items')}`;
      }
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return issue.inclusive ? `must be at least ${minimum}` : `must be more than ${minimum}`;
      }
      return undefined;
    }
    case 'too_big': {
      const maximum = issue.maximum;
      if (issue.origin === 'string') return `must be at most ${count(maximum, 'character', 'characters')}`;
      if (issue.origin === 'array' || issue.origin === 'set')
        return `must have at most ${count(maximum, 'item', 'items')}`;
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return issue.inclusive ? `must be at most ${maximum}` : `must be less than ${maximum}`;
      }
      return undefined;
    }
    case 'invalid_format': {
      switch (issue.format) {
        case 'url':
          return 'must be a URL, such as https://example.com/hook';
        case 'email':
          return 'must be an e-mail address';
        case 'datetime':
          return 'must be a date and time such as 2026-01-31T10:00:00.000Z';
        case 'regex':
          return 'is not in the form expected';
        default:
          return `must be a valid ${issue.format}`;
      }
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => JSON.stringify(value));
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
    }
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'a field' : 'fields'} that ${issue.keys.length === 1 ? 'is' : 'are'} not known: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'is none of the forms accepted here';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_key':
      return 'has a key that is not valid';
    case 'invalid_element':
      return 'has an item that is not valid';
    default:
      return undefined;
  }
};

/**
 * Makes readableZodError zod's messages for this process (or page). Called by the server at start
 * and by the dashboard in the browser: a library must not change zod for whoever imports it, so
 * importing this package changes nothing by itself.
 */
export function installReadableZodErrors(): void {
  z.config({ customError: readableZodError });
}
