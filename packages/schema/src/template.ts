/**
 * Apify's webhook template language: JSON whose values may be variables, `{{resource.id}}`, and
 * (with shouldInterpolateStrings) whose strings may embed them, `"Run {{resource.id}} done"`.
 *
 * A template renders exactly as Apify renders it, quirks included: the algorithm below is the one of
 * `WebhookPayloadTemplate` in Apify's `@apify/utilities` (a variable whose value is 0, false or ""
 * renders as null; a variable inside a string is replaced only when interpolating; an embedded
 * object reads "[object Object]"), and a differential test against that package keeps it so. What is
 * Ricochet's own is the error messages: they say what is wrong and where, by line and column of the
 * template as written.
 *
 * It lives in the schema package because it is part of validating a webhook: the server rejects a
 * broken template, and the dashboard can say the same while typing and preview a rendering.
 */

/** Variables a template can use (Apify's list). Dot paths reach inside them: `{{eventData.actorRunId}}`. */
export const TEMPLATE_VARIABLES = [
  'userId',
  'createdAt',
  'eventType',
  'eventData',
  'resource',
  'globals',
] as const;
const KNOWN_VARIABLES: ReadonlySet<string> = new Set(TEMPLATE_VARIABLES);

/** What an event provides; `globals` is derived from createdAt (see templateContext). */
export type TemplateVariables = {
  userId: string;
  createdAt: string;
  eventType: string;
  eventData: unknown;
  resource: unknown;
};

/** Apify's `globals`: the date of the trigger event, as ISO 8601 and as Unix time in whole seconds. */
export type TemplateGlobals = { dateISO: string; dateUnix: number };

/** The values a template sees: the event's variables plus `globals`. */
export function templateContext(variables: TemplateVariables): Record<string, unknown> {
  const date = new Date(variables.createdAt);
  const globals: TemplateGlobals = {
    dateISO: date.toISOString(),
    dateUnix: Math.floor(date.getTime() / 1000),
  };
  return { ...variables, globals };
}

/** What Apify sends when a webhook has no payloadTemplate. */
export const DEFAULT_PAYLOAD_TEMPLATE = `{
    "userId": {{userId}},
    "createdAt": {{createdAt}},
    "eventType": {{eventType}},
    "eventData": {{eventData}},
    "resource": {{resource}}
}`;

export class TemplateSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
    this.name = 'TemplateSyntaxError';
  }
}

/** A template that passed the check Apify makes when a webhook is saved. */
export type ParsedTemplate = { readonly source: string; readonly kind: 'payload' | 'headers' };

export type RenderOptions = { interpolateStrings: boolean };

/** One variable replaced in the text: where, in the text at that moment and in the source. */
type Substitution = { at: number; insertedLength: number; sourceAt: number; sourceLength: number };

/**
 * One rendering, step by step as Apify's engine does it: while the text is not valid JSON, the next
 * `{{...}}` that is not inside a string (by counting unescaped quotes before it) is replaced by the
 * JSON of its value, or by null when that value is falsy. Then, when interpolating, strings that are
 * exactly one variable become its value and other strings get the values' string forms.
 */
class TemplateRun {
  private text: string;
  private readonly substitutions: Substitution[] = [];
  // Unescaped quotes before `quotesCountedTo`. The text before a replacement never changes, so the
  // count is carried forward instead of recounted from the start for every variable.
  private quotesCountedTo = 0;
  private quoteCount = 0;
  // The same for JSON's real string boundaries (a quote after an escaped backslash ends a string).
  private lexedTo = 0;
  private lexInString = false;
  private lexEscaped = false;
  // Set once a `{{` outside JSON strings is left in place: no later JSON.parse can succeed.
  private staysInvalid = false;
  // The next `{{` outside JSON strings (-1: none), found ahead of a candidate inside a string;
  // null once a replacement may have moved it.
  private nextOutsideVariable: number | null = null;
  private textVersion = 0;
  private failedParseVersion = -1;

  constructor(
    private readonly source: string,
    private readonly context: Record<string, unknown>,
  ) {
    this.text = source;
  }

  render(options: RenderOptions): unknown {
    const data = this.substitute();
    return options.interpolateStrings ? this.interpolate(data) : data;
  }

  private substitute(): unknown {
    let searchFrom = 0;
    for (;;) {
      const open = this.text.indexOf('{{', searchFrom);
      // Apify tries JSON.parse before each variable. It cannot succeed while a `{{` stands outside
      // every JSON string, so the attempt is skipped then: same outcome, linear instead of quadratic.
      if (open === -1 || !this.parseMustFail(open)) {
        try {
          return JSON.parse(this.text);
        } catch (error) {
          if (open === -1) throw this.jsonError(error as Error);
          this.failedParseVersion = this.textVersion;
        }
      }
      const insideString = this.isInsideString(open);
      // A `{{` left in place outside every JSON string keeps the text invalid for good.
      if (insideString && !this.isInsideJsonString(open)) this.staysInvalid = true;
      if (!insideString) {
        const close = this.text.indexOf('}}', open) + 1;
        // Apify reads a missing `}}` as a variable spanning the whole text before it, which no
        // template survives (no JSON text starts with a variable's name): refuse it plainly.
        if (close === 0) this.fail('Unclosed variable, expected }}', open);
        this.replaceVariable(open, close);
      }
      searchFrom = open + 1;
    }
  }

  /** Whether JSON.parse of the text is certain to fail, with the next candidate `{{` at index. */
  private parseMustFail(index: number): boolean {
    if (this.staysInvalid || !this.isInsideJsonString(index)) return true;
    // The text has not changed since JSON.parse last failed on it: it fails again.
    if (this.failedParseVersion === this.textVersion) return true;
    if (
      this.nextOutsideVariable === null ||
      (this.nextOutsideVariable !== -1 && this.nextOutsideVariable < index)
    ) {
      this.nextOutsideVariable = this.findVariableOutsideJsonStrings(index);
    }
    return this.nextOutsideVariable !== -1;
  }

  /** The next `{{` after index that JSON's lexing puts outside strings, or -1; lexing from index. */
  private findVariableOutsideJsonStrings(index: number): number {
    let inString = this.lexInString;
    let escaped = this.lexEscaped;
    for (let i = index; i < this.text.length; i++) {
      const char = this.text[i];
      if (escaped) escaped = false;
      else if (inString && char === '\\') escaped = true;
      else if (char === '"') inString = !inString;
      else if (!inString && char === '{' && this.text[i + 1] === '{') return i;
    }
    return -1;
  }

  /** Whether JSON's own lexing (escapes counted properly) is inside a string at index. */
  private isInsideJsonString(index: number): boolean {
    for (let i = this.lexedTo; i < index; i++) {
      const char = this.text[i];
      if (this.lexEscaped) this.lexEscaped = false;
      else if (this.lexInString && char === '\\') this.lexEscaped = true;
      else if (char === '"') this.lexInString = !this.lexInString;
    }
    this.lexedTo = index;
    return this.lexInString;
  }

  private isInsideString(index: number): boolean {
    for (let i = this.quotesCountedTo; i < index; i++) {
      if (this.text[i] === '"' && this.text[i - 1] !== '\\') this.quoteCount++;
    }
    this.quotesCountedTo = index;
    return this.quoteCount % 2 === 1;
  }

  private replaceVariable(open: number, close: number): void {
    const name = this.text.substring(open + 2, close - 1);
    this.checkVariableName(name, open);
    const value = this.valueOf(name);
    const replacement = `${value ? JSON.stringify(value) : null}`;
    this.substitutions.push({
      at: open,
      insertedLength: replacement.length,
      sourceAt: this.sourceIndex(open),
      sourceLength: close + 1 - open,
    });
    this.text = this.text.substring(0, open) + replacement + this.text.substring(close + 1);
    this.nextOutsideVariable = null;
    this.textVersion++;
  }

  private checkVariableName(name: string, at: number): void {
    const root = name.split('.')[0] as string;
    if (KNOWN_VARIABLES.has(root)) return;
    const trimmedRoot = name.trim().split('.')[0] as string;
    if (name !== name.trim() && KNOWN_VARIABLES.has(trimmedRoot)) {
      this.fail(`Variable "{{${name}}}" must not contain spaces`, at);
    }
    this.fail(`Unknown variable "{{${name}}}" (known: ${TEMPLATE_VARIABLES.join(', ')})`, at);
  }

  /** A dot path into the context. Like Apify's engine, it stops with null at a non-object. */
  private valueOf(name: string): unknown {
    const [root, ...properties] = name.split('.');
    return properties.reduce<unknown>(
      (value, property) => {
        if (!value || typeof value !== 'object') return null;
        return (value as Record<string, unknown>)[property];
      },
      this.context[root as string],
    );
  }

  private interpolate(value: unknown): unknown {
    if (typeof value === 'string') return this.interpolateString(value);
    if (Array.isArray(value)) return value.map((item) => this.interpolate(item));
    if (typeof value === 'object' && value !== null) {
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) result[key] = this.interpolate(item);
      return result;
    }
    return value;
  }

  private interpolateString(value: string): unknown {
    if (/^\{\{[a-zA-Z0-9.]+\}\}$/.test(value)) {
      const name = value.slice(2, -2);
      this.checkInterpolatedName(name);
      return this.valueOf(name);
    }
    return value.replace(/\{\{([a-zA-Z0-9.]+)\}\}/g, (_match, name: string) => {
      this.checkInterpolatedName(name);
      return `${this.valueOf(name)}`;
    });
  }

  private checkInterpolatedName(name: string): void {
    const root = name.split('.')[0] as string;
    if (!KNOWN_VARIABLES.has(root)) {
      throw new TemplateSyntaxError(
        `Unknown variable "{{${name}}}" in a string (known: ${TEMPLATE_VARIABLES.join(', ')})`,
        1,
        1,
      );
    }
  }

  /** Where a place in the current text was in the source: replaced variables map to their start. */
  private sourceIndex(index: number): number {
    let shift = 0;
    for (const substitution of this.substitutions) {
      if (index < substitution.at) break;
      if (index < substitution.at + substitution.insertedLength) return substitution.sourceAt;
      shift += substitution.sourceLength - substitution.insertedLength;
    }
    return index + shift;
  }

  private jsonError(error: Error): TemplateSyntaxError {
    const problem = findJsonProblem(this.text);
    if (!problem) return this.errorAt(`Invalid JSON (${error.message})`, 0);
    return this.errorAt(problem.reason, problem.index);
  }

  private fail(reason: string, index: number): never {
    throw this.errorAt(reason, index);
  }

  private errorAt(reason: string, index: number): TemplateSyntaxError {
    const sourceAt = Math.min(this.sourceIndex(index), this.source.length);
    const before = this.source.slice(0, sourceAt);
    const line = before.split('\n').length;
    const column = sourceAt - before.lastIndexOf('\n');
    return new TemplateSyntaxError(reason, line, column);
  }
}

const JSON_WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Where and why a text is not JSON, for error messages only (JSON.parse decides). Null when this
 * scanner finds nothing wrong.
 */
function findJsonProblem(text: string): { index: number; reason: string } | null {
  let position = 0;
  const describe = () => {
    const char = text[position];
    return char === undefined ? 'end of template' : `character ${JSON.stringify(char)}`;
  };
  class Problem {
    constructor(readonly reason: string) {}
  }
  const fail = (reason: string): never => {
    throw new Problem(reason);
  };
  const skipWhitespace = () => {
    while (JSON_WHITESPACE.has(text[position] ?? '')) position++;
  };
  const parseString = () => {
    const start = position;
    let index = start + 1;
    while (index < text.length && text[index] !== '"' && text[index] !== '\n') {
      index += text[index] === '\\' ? 2 : 1;
    }
    if (text[index] !== '"') fail('Unterminated string');
    try {
      JSON.parse(text.slice(start, index + 1));
    } catch {
      fail('Invalid string (a control character or a bad escape sequence)');
    }
    position = index + 1;
  };
  const parseValue = (): void => {
    skipWhitespace();
    const char = text[position];
    if (char === undefined) fail('Unexpected end of template, expected a value');
    if (char === '{' && text[position + 1] === '{') fail('Unexpected variable, expected a value');
    if (char === '{' || char === '[') {
      parseContainer(char === '{' ? '}' : ']', char === '{');
      return;
    }
    if (char === '"') {
      parseString();
      return;
    }
    JSON_NUMBER.lastIndex = position;
    const number = JSON_NUMBER.exec(text);
    if (number && number[0] !== '-') {
      position += number[0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return;
      }
    }
    fail(`Unexpected ${describe()}, expected a value`);
  };
  const parseContainer = (end: string, isObject: boolean): void => {
    position++;
    skipWhitespace();
    if (text[position] === end) {
      position++;
      return;
    }
    for (;;) {
      if (isObject) {
        skipWhitespace();
        if (text[position] !== '"') fail(`Unexpected ${describe()}, expected a "key"`);
        parseString();
        skipWhitespace();
        if (text[position] !== ':') fail(`Unexpected ${describe()}, expected ":"`);
        position++;
      }
      parseValue();
      skipWhitespace();
      if (text[position] === end) {
        position++;
        return;
      }
      if (text[position] !== ',') fail(`Unexpected ${describe()}, expected "," or "${end}"`);
      position++;
    }
  };
  try {
    parseValue();
    skipWhitespace();
    if (position < text.length) fail(`Unexpected ${describe()}`);
    return null;
  } catch (error) {
    if (error instanceof Problem) return { index: position, reason: error.reason };
    throw error;
  }
}

/**
 * Checks a template as Apify does when a webhook is saved (every variable null); throws
 * TemplateSyntaxError naming the line and column where it breaks.
 */
export function parseTemplate(source: string): ParsedTemplate {
  new TemplateRun(source, {}).render({ interpolateStrings: false });
  return { source, kind: 'payload' };
}

/** Checks a headers template, which must also be an object (header name to value). */
export function parseHeadersTemplate(source: string): ParsedTemplate {
  const rendered = new TemplateRun(source, {}).render({ interpolateStrings: false });
  if (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) {
    throw new TemplateSyntaxError('Headers template must be a JSON object', 1, 1);
  }
  return { source, kind: 'headers' };
}

/**
 * Renders a template for an event, byte for byte as Apify would. Throws TemplateSyntaxError when the
 * event's values break it (Apify's engine fails on them too, e.g. a string value ending in a
 * backslash throws its quote counting off).
 */
export function renderTemplate(
  template: ParsedTemplate,
  variables: TemplateVariables,
  options: RenderOptions,
): unknown {
  return new TemplateRun(template.source, templateContext(variables)).render(options);
}

/**
 * The JSON text of DEFAULT_PAYLOAD_TEMPLATE rendered for an event, without running the engine:
 * what renderTemplate + JSON.stringify give for it (each variable's JSON in place, null for a falsy
 * one), built directly, since nearly every delivery uses the default and rendering is most of the
 * work of building a request. Undefined where Apify's engine would go its own way: a value whose
 * JSON has `\\"` (a string ending in a backslash, which throws Apify's quote counting off) or `{{`
 * (a variable of its own); the caller renders those the long way. A property-based test holds it
 * to Apify's own engine.
 */
export function renderDefaultPayload(variables: TemplateVariables): string | undefined {
  const json = (value: unknown) => (value ? JSON.stringify(value) : 'null');
  const parts = [
    json(variables.userId),
    json(variables.createdAt),
    json(variables.eventType),
    json(variables.eventData),
    json(variables.resource),
  ];
  if (parts.some((part) => part.includes('\\\\"') || part.includes('{{'))) return undefined;
  const [userId, createdAt, eventType, eventData, resource] = parts;
  return `{"userId":${userId},"createdAt":${createdAt},"eventType":${eventType},"eventData":${eventData},"resource":${resource}}`;
}

/** Renders a headers template to header values: strings as they are, null left out, others as JSON. */
export function renderHeadersTemplate(
  template: ParsedTemplate,
  variables: TemplateVariables,
  options: RenderOptions,
): Record<string, string> {
  const rendered = renderTemplate(template, variables, options);
  if (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) {
    throw new TemplateSyntaxError('Headers template must render to a JSON object', 1, 1);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rendered)) {
    if (value === null || value === undefined) continue;
    headers[name] = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  }
  return headers;
}
