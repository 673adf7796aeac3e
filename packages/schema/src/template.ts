/**
 * Apify's webhook template language: JSON whose values may be variables, `{{resource.id}}`, and
 * (with shouldInterpolateStrings) whose strings may embed them, `"Run {{resource.id}} done"`.
 *
 * It lives in the schema package because it is part of validating a webhook: the server rejects a
 * broken template with the place it breaks, and the dashboard can say the same while typing.
 */

/** Variables a template can use. Dot paths reach inside them: `{{eventData.actorRunId}}`. */
export const TEMPLATE_VARIABLES = ['userId', 'createdAt', 'eventType', 'eventData', 'resource'] as const;
export type TemplateVariables = {
  userId: string;
  createdAt: string;
  eventType: string;
  eventData: unknown;
  resource: unknown;
};

/** What Apify sends when a webhook has no payloadTemplate. */
export const DEFAULT_PAYLOAD_TEMPLATE = `{
    "userId": {{userId}},
    "createdAt": {{createdAt}},
    "eventType": {{eventType}},
    "eventData": {{eventData}},
    "resource": {{resource}}
}`;

export type TemplateNode =
  | { kind: 'object'; entries: Array<{ key: string; value: TemplateNode }> }
  | { kind: 'array'; items: TemplateNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'literal'; value: number | boolean | null }
  | { kind: 'variable'; path: string[] };

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

const VARIABLE_PATTERN = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g;
const NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  private position = 0;
  constructor(private readonly source: string) {}

  parseDocument(): TemplateNode {
    const node = this.parseValue();
    this.skipWhitespace();
    if (this.position < this.source.length) this.fail(`Unexpected ${this.describeCurrent()}`);
    return node;
  }

  private parseValue(): TemplateNode {
    this.skipWhitespace();
    const char = this.source[this.position];
    if (char === undefined) this.fail('Unexpected end of template, expected a value');
    if (char === '{' && this.source[this.position + 1] === '{') return this.parseVariable();
    if (char === '{') return this.parseObject();
    if (char === '[') return this.parseArray();
    if (char === '"') return { kind: 'string', value: this.parseString() };
    if (char === '-' || (char >= '0' && char <= '9')) return this.parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.source.startsWith(word, this.position)) {
        this.position += word.length;
        return { kind: 'literal', value };
      }
    }
    this.fail(`Unexpected ${this.describeCurrent()}, expected a value`);
  }

  private parseVariable(): TemplateNode {
    const start = this.position;
    const end = this.source.indexOf('}}', start);
    if (end === -1) this.fail('Unclosed variable, expected }}');
    const path = this.source.slice(start + 2, end).trim();
    if (!/^[A-Za-z_$][\w$]*(?:\.[\w$-]+)*$/.test(path)) this.fail(`Invalid variable "{{${path}}}"`);
    const segments = path.split('.');
    const root = segments[0] as string;
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(root)) {
      this.fail(`Unknown variable "${root}" (known: ${TEMPLATE_VARIABLES.join(', ')})`);
    }
    this.position = end + 2;
    return { kind: 'variable', path: segments };
  }

  private parseObject(): TemplateNode {
    this.position++; // {
    const entries: Array<{ key: string; value: TemplateNode }> = [];
    this.skipWhitespace();
    if (this.source[this.position] === '}') {
      this.position++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.source[this.position] !== '"')
        this.fail(`Unexpected ${this.describeCurrent()}, expected a "key"`);
      const key = this.parseString();
      this.skipWhitespace();
      if (this.source[this.position] !== ':') this.fail(`Unexpected ${this.describeCurrent()}, expected ":"`);
      this.position++;
      entries.push({ key, value: this.parseValue() });
      this.skipWhitespace();
      const next = this.source[this.position];
      this.position++;
      if (next === '}') return { kind: 'object', entries };
      if (next !== ',') {
        this.position--;
        this.fail(`Unexpected ${this.describeCurrent()}, expected "," or "}"`);
      }
    }
  }

  private parseArray(): TemplateNode {
    this.position++; // [
    const items: TemplateNode[] = [];
    this.skipWhitespace();
    if (this.source[this.position] === ']') {
      this.position++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.parseValue());
      this.skipWhitespace();
      const next = this.source[this.position];
      this.position++;
      if (next === ']') return { kind: 'array', items };
      if (next !== ',') {
        this.position--;
        this.fail(`Unexpected ${this.describeCurrent()}, expected "," or "]"`);
      }
    }
  }

  private parseString(): string {
    const start = this.position;
    let index = start + 1;
    while (index < this.source.length) {
      const char = this.source[index];
      if (char === '\\') index += 2;
      else if (char === '"') break;
      else if (char === '\n') break;
      else index++;
    }
    if (this.source[index] !== '"') this.fail('Unterminated string');
    try {
      // JSON.parse decodes escapes exactly as JSON does; the scan above found the closing quote.
      const value = JSON.parse(this.source.slice(start, index + 1)) as string;
      this.position = index + 1;
      return value;
    } catch {
      this.fail('Invalid escape sequence in string');
    }
  }

  private parseNumber(): TemplateNode {
    NUMBER_PATTERN.lastIndex = this.position;
    const match = NUMBER_PATTERN.exec(this.source);
    if (!match) this.fail(`Unexpected ${this.describeCurrent()}, expected a number`);
    this.position += match[0].length;
    return { kind: 'literal', value: Number(match[0]) };
  }

  private skipWhitespace(): void {
    while (/\s/.test(this.source[this.position] ?? '')) this.position++;
  }

  private describeCurrent(): string {
    const char = this.source[this.position];
    return char === undefined ? 'end of template' : `character ${JSON.stringify(char)}`;
  }

  private fail(reason: string): never {
    const before = this.source.slice(0, this.position);
    const line = before.split('\n').length;
    const column = this.position - before.lastIndexOf('\n');
    throw new TemplateSyntaxError(reason, line, column);
  }
}

/** Parses a template; throws TemplateSyntaxError naming the line and column where it breaks. */
export function parseTemplate(source: string): TemplateNode {
  return new Parser(source).parseDocument();
}

/** Parses a headers template, which must be an object (header name to value). */
export function parseHeadersTemplate(source: string): TemplateNode {
  const node = parseTemplate(source);
  if (node.kind !== 'object') throw new TemplateSyntaxError('Headers template must be a JSON object', 1, 1);
  return node;
}

function lookup(variables: TemplateVariables, path: readonly string[]): unknown {
  let value: unknown = variables;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function interpolate(text: string, variables: TemplateVariables): string {
  return text.replace(VARIABLE_PATTERN, (_match, path: string) => {
    const value = lookup(variables, path.split('.'));
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

export type RenderOptions = { interpolateStrings: boolean };

/** Renders a parsed template to a JSON value. A path that leads nowhere renders as null. */
export function renderTemplate(
  node: TemplateNode,
  variables: TemplateVariables,
  options: RenderOptions,
): unknown {
  switch (node.kind) {
    case 'variable':
      return lookup(variables, node.path) ?? null;
    case 'literal':
      return node.value;
    case 'string':
      return options.interpolateStrings ? interpolate(node.value, variables) : node.value;
    case 'array':
      return node.items.map((item) => renderTemplate(item, variables, options));
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const { key, value } of node.entries) {
        const renderedKey = options.interpolateStrings ? interpolate(key, variables) : key;
        result[renderedKey] = renderTemplate(value, variables, options);
      }
      return result;
    }
  }
}

/** Renders a headers template to header values (strings; other JSON values are stringified). */
export function renderHeadersTemplate(
  node: TemplateNode,
  variables: TemplateVariables,
  options: RenderOptions,
): Record<string, string> {
  const rendered = renderTemplate(node, variables, options) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rendered)) {
    if (value === null || value === undefined) continue;
    headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return headers;
}
