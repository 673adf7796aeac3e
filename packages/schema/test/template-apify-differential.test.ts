/**
 * Ricochet's template engine against Apify's own (`WebhookPayloadTemplate` from `@apify/utilities`,
 * a test-only dependency): random templates and event data through both must render to the same
 * bytes, and a template one refuses the other refuses too. Seeded, so a failure reproduces.
 *
 * The oracle is @apify/utilities 2.35.11: 3.0.1, the latest, cannot be installed (it depends on
 * @apify/log ^3.0.1, which is not published), and its webhook_payload_template.js is the same code.
 */
import { WebhookPayloadTemplate } from '@apify/utilities';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PAYLOAD_TEMPLATE,
  parseTemplate,
  renderDefaultPayload,
  renderTemplate,
  TEMPLATE_VARIABLES,
  type TemplateVariables,
  templateContext,
} from '../src/template.ts';

const ALLOWED = new Set<string>(TEMPLATE_VARIABLES);
const SEED = 20261129;
const RUNS = 3000;

type Outcome = { refused: true } | { refused: false; json: string | undefined };

function apify(template: string, context: Record<string, unknown>, interpolateStrings: boolean): Outcome {
  try {
    const value = WebhookPayloadTemplate.parse(template, ALLOWED, context, { interpolateStrings });
    return { refused: false, json: JSON.stringify(value) };
  } catch {
    return { refused: true };
  }
}

function ricochet(template: string, variables: TemplateVariables, interpolateStrings: boolean): Outcome {
  try {
    const parsed = parseTemplate(template);
    return {
      refused: false,
      json: JSON.stringify(renderTemplate(parsed, variables, { interpolateStrings })),
    };
  } catch {
    return { refused: true };
  }
}

// Values that exercise Apify's rules: falsy values (rendered as null), strings with quotes,
// backslashes (a trailing one throws the quote counting off) and variables of their own.
const trickyString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'a"b', 'ends\\', '\\"', '{{userId}}', 'x {{resource.id}} y', '{{nobody}}', '}}', '{{'),
);
const key = fc.constantFrom('id', 'a', 'b', 'status', 'items', 'nested', 'length', '0');
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(0, false, '', null, 1, true, -2.5),
    trickyString,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const variablesArbitrary: fc.Arbitrary<TemplateVariables> = fc.record({
  userId: fc.constantFrom('wRsJZtadYvn4mBZmm', '', 'a"b'),
  createdAt: fc
    .date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((date) => date.toISOString()),
  eventType: fc.constantFrom('ACTOR.RUN.SUCCEEDED', 'TEST'),
  eventData: fc.dictionary(key, jsonValue, { maxKeys: 4 }),
  resource: fc.oneof(fc.constant(null), fc.dictionary(key, jsonValue, { maxKeys: 5 })),
});

// Variable paths: known roots (and a few that are not, or are spaced), dot paths into the data.
const root = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...TEMPLATE_VARIABLES) },
  { weight: 1, arbitrary: fc.constantFrom('nobody', ' resource', 'resource ', 'Resource', '') },
);
const segment = fc.oneof(key, fc.constantFrom('dateISO', 'dateUnix', 'missing', '', 'constructor', 'a b'));
const variable = fc
  .tuple(root, fc.array(segment, { maxLength: 3 }))
  .map(([name, path]) => `{{${[name, ...path].join('.')}}}`);

// Templates: JSON with variables as values and inside strings, then sometimes broken by a random edit.
const stringPart = fc.oneof(fc.constantFrom('Run ', ' is ', '', '\\\\', '\\"', 'x'), variable);
const templateString = fc.array(stringPart, { maxLength: 4 }).map((parts) => `"${parts.join('')}"`);
const templateValue: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    variable,
    templateString,
    fc.constantFrom('0', 'false', 'null', '"text"', '1.5e3', 'true'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.oneof(templateString, fc.constant('"k"')), tie('value')), { maxLength: 4 })
      .map((entries) => `{${entries.map(([name, value]) => `${name}: ${value}`).join(',\n  ')}}`),
  ),
})).value;
const edit = fc.tuple(
  fc.nat(),
  fc.nat({ max: 3 }),
  fc.constantFrom('', '"', '\\', '{', '}', ',', ' ', '{{', '}}'),
);
const templateArbitrary = fc.tuple(templateValue, fc.option(edit, { freq: 3 })).map(([template, change]) => {
  if (!change) return template;
  const [at, removed, inserted] = change;
  const index = at % (template.length + 1);
  return template.slice(0, index) + inserted + template.slice(index + removed);
});

describe("templates render exactly as Apify's WebhookPayloadTemplate renders them", () => {
  test('saving: a template Apify refuses is refused, and the other way round', () => {
    fc.assert(
      fc.property(templateArbitrary, (template) => {
        expect(refusesOnSave(template)).toBe(apify(template, {}, false).refused);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('rendering: the same payload bytes, or both refuse', () => {
    fc.assert(
      fc.property(templateArbitrary, variablesArbitrary, fc.boolean(), (template, variables, interpolate) => {
        fc.pre(!apify(template, {}, false).refused);
        expect(ricochet(template, variables, interpolate)).toEqual(
          apify(template, templateContext(variables), interpolate),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test("the default payload's shortcut renders exactly what Apify's engine renders, or steps aside", () => {
    let shortcuts = 0;
    fc.assert(
      fc.property(variablesArbitrary, (variables) => {
        const fast = renderDefaultPayload(variables);
        const oracle = apify(DEFAULT_PAYLOAD_TEMPLATE, templateContext(variables), false);
        if (fast === undefined) return;
        shortcuts++;
        expect({ refused: false, json: fast }).toEqual(oracle);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // It steps aside only for the rare values that need the engine, not for most events.
    expect(shortcuts).toBeGreaterThan(RUNS / 2);
  });

  test("Apify's documented examples, including globals and falsy values", () => {
    const variables: TemplateVariables = {
      userId: 'abf6vtB2nvQZ4nJzo',
      createdAt: '2019-01-09T15:59:56.408Z',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'fW4MyDhgwtMLrB987', count: 0, done: false, note: '' },
      resource: { id: 'uPBN9qaKd2iLs5naZ', status: 'SUCCEEDED' },
    };
    const template =
      '{"date": {{globals.dateISO}}, "unix": {{globals.dateUnix}}, "count": {{eventData.count}}, ' +
      '"done": {{eventData.done}}, "note": {{eventData.note}}, "text": "My run {{resource.id}}"}';
    for (const interpolate of [false, true]) {
      expect(ricochet(template, variables, interpolate)).toEqual(
        apify(template, templateContext(variables), interpolate),
      );
    }
    expect(JSON.parse((ricochet(template, variables, true) as { json: string }).json)).toEqual({
      date: '2019-01-09T15:59:56.408Z',
      unix: 1547049596,
      count: null,
      done: null,
      note: null,
      text: 'My run uPBN9qaKd2iLs5naZ',
    });
  });
});

function refusesOnSave(template: string): boolean {
  try {
    parseTemplate(template);
    return false;
  } catch {
    return true;
  }
}
