import { describe, expect, test } from 'vitest';
import { responseHeadersOf, storedResponseHeaders } from '../../src/outbound/stored-response.ts';

const FINISHED = new Date('2026-12-02T22:51:58.640Z');

describe('stored response headers', () => {
  test("a typical answer (Node's http server) is stored compactly and reads back exactly, in order", () => {
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': '15',
      date: 'Wed, 02 Dec 2026 22:51:57 GMT',
      connection: 'keep-alive',
      'keep-alive': 'timeout=65',
    };
    const stored = storedResponseHeaders(headers, FINISHED);
    expect(stored).toEqual([7, { l: 15 }, { d: -1 }, 0, { k: 65 }]);
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(headers).length / 4);
    const back = responseHeadersOf(JSON.parse(JSON.stringify(stored)), FINISHED);
    expect(Object.entries(back ?? {})).toEqual(Object.entries(headers));
  });

  test('what the compact form cannot give back exactly is kept as it came', () => {
    const odd = {
      // Not IMF-fixdate (a day without its leading zero), a length with a leading zero, a custom one.
      date: 'Wed, 2 Dec 2026 22:51:57 GMT',
      'content-length': '015',
      'keep-alive': 'timeout=5, max=100',
      'x-request-id': 'abc',
    };
    const stored = storedResponseHeaders(odd, FINISHED);
    expect(stored).toEqual([
      ['date', odd.date],
      ['content-length', '015'],
      ['keep-alive', 'timeout=5, max=100'],
      ['x-request-id', 'abc'],
    ]);
    expect(Object.entries(responseHeadersOf(stored, FINISHED) ?? {})).toEqual(Object.entries(odd));
    // A name an object cannot hold as given stays in the full form.
    const proto = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    expect(storedResponseHeaders(proto, FINISHED)).toBe(proto);
  });

  test('calls stored before keep their object form; none stays none', () => {
    expect(responseHeadersOf({ x: 'y' }, FINISHED)).toEqual({ x: 'y' });
    expect(responseHeadersOf(null, FINISHED)).toBeNull();
    expect(storedResponseHeaders({}, FINISHED)).toEqual([]);
    expect(responseHeadersOf([], FINISHED)).toEqual({});
  });
});
