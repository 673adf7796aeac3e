import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PAYLOAD_TEMPLATE,
  parseHeadersTemplate,
  parseTemplate,
  renderHeadersTemplate,
  renderTemplate,
  TemplateSyntaxError,
  type TemplateVariables,
} from '../src/template.ts';

const variables: TemplateVariables = {
  userId: 'wRsJZtadYvn4mBZmm',
  createdAt: '2026-11-25T10:00:00.000Z',
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'vvE7iMKuMc5qTHHsR', actorRunId: 'JgwXN9BdwxGcu9MMF' },
  resource: { id: 'JgwXN9BdwxGcu9MMF', status: 'SUCCEEDED', stats: { durationMillis: 1200 } },
};

describe('parseTemplate', () => {
  test("renders Apify's default payload template to the five variables", () => {
    const rendered = renderTemplate(parseTemplate(DEFAULT_PAYLOAD_TEMPLATE), variables, {
      interpolateStrings: false,
    });
    expect(rendered).toEqual(variables);
  });

  test('reaches inside variables with dot paths and renders missing paths as null', () => {
    const template =
      '{"run": {{resource.id}}, "ms": {{resource.stats.durationMillis}}, "nope": {{resource.missing.deep}}}';
    expect(renderTemplate(parseTemplate(template), variables, { interpolateStrings: false })).toEqual({
      run: 'JgwXN9BdwxGcu9MMF',
      ms: 1200,
      nope: null,
    });
  });

  test('keeps literals, arrays, nesting and escapes as JSON does', () => {
    const template = '{"a": [1, -2.5e3, true, false, null, "x\\"y\\u00e9"], "b": {"c": {}}, "d": []}';
    expect(renderTemplate(parseTemplate(template), variables, { interpolateStrings: false })).toEqual(
      JSON.parse(template),
    );
  });

  test('interpolates variables inside strings only when asked to', () => {
    const node = parseTemplate('{"text": "Run {{resource.id}} of {{eventData}} is {{resource.status}}"}');
    expect(renderTemplate(node, variables, { interpolateStrings: false })).toEqual({
      text: 'Run {{resource.id}} of {{eventData}} is {{resource.status}}',
    });
    // Apify's engine embeds a value's JavaScript string form: an object reads "[object Object]".
    expect(renderTemplate(node, variables, { interpolateStrings: true })).toEqual({
      text: 'Run JgwXN9BdwxGcu9MMF of [object Object] is SUCCEEDED',
    });
  });

  test('a string that is exactly one variable becomes its value when interpolating', () => {
    const node = parseTemplate('{"data": "{{eventData}}", "ms": "{{resource.stats.durationMillis}}"}');
    expect(renderTemplate(node, variables, { interpolateStrings: true })).toEqual({
      data: variables.eventData,
      ms: 1200,
    });
  });

  test("renders 0, false and empty strings as null, as Apify's engine does", () => {
    const node = parseTemplate(
      '[{{eventData.zero}}, {{eventData.no}}, {{eventData.empty}}, {{eventData.one}}]',
    );
    const data = { ...variables, eventData: { zero: 0, no: false, empty: '', one: 1 } };
    expect(renderTemplate(node, data, { interpolateStrings: false })).toEqual([null, null, null, 1]);
  });

  test('knows globals: the date of the event as ISO 8601 and as Unix seconds', () => {
    const node = parseTemplate('{"iso": {{globals.dateISO}}, "unix": {{globals.dateUnix}}}');
    expect(renderTemplate(node, variables, { interpolateStrings: false })).toEqual({
      iso: '2026-11-25T10:00:00.000Z',
      unix: 1795600800,
    });
  });

  test.each([
    ['{"a": 1,}', 'Unexpected character "}", expected a "key" at line 1, column 9'],
    ['{\n  "a": 1\n  "b": 2\n}', 'Unexpected character "\\"", expected "," or "}" at line 3, column 3'],
    [
      '{"a": {{nobody}}}',
      'Unknown variable "{{nobody}}" (known: userId, createdAt, eventType, eventData, resource, globals) at line 1, column 7',
    ],
    ['{\n  "a":  {{ resource }}}', 'Variable "{{ resource }}" must not contain spaces at line 2, column 9'],
    ['{"a": {{resource.id}', 'Unclosed variable, expected }} at line 1, column 7'],
    ['{"a": "open', 'Unterminated string at line 1, column 7'],
    ['{"a": tru}', 'Unexpected character "t", expected a value at line 1, column 7'],
    ['{"a": 1} extra', 'Unexpected character "e" at line 1, column 10'],
    ['', 'Unexpected end of template, expected a value at line 1, column 1'],
  ])('rejects %j saying where: %s', (template, message) => {
    expect(() => parseTemplate(template)).toThrowError(TemplateSyntaxError);
    expect(() => parseTemplate(template)).toThrowError(message);
  });
});

describe('headers templates', () => {
  test('must be objects and render every value as a string', () => {
    expect(() => parseHeadersTemplate('[1]')).toThrowError('Headers template must be a JSON object');
    const node = parseHeadersTemplate(
      '{"X-Run": {{resource.id}}, "X-Ms": {{resource.stats.durationMillis}}, "X-None": {{resource.x}}}',
    );
    expect(renderHeadersTemplate(node, variables, { interpolateStrings: false })).toEqual({
      'X-Run': 'JgwXN9BdwxGcu9MMF',
      'X-Ms': '1200',
    });
  });
});
