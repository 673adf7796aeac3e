import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ROUTES, routeMetadata, routeOf } from './routes';

const APP = fileURLToPath(new URL('../app/(app)', import.meta.url));

/** Every folder under app/(app)/ with a page.tsx, as its route path. */
function pageFolders(dir = APP): string[] {
  const here = existsSync(join(dir, 'page.tsx')) ? [`/${relative(APP, dir).split('\\').join('/')}`] : [];
  return [
    ...here,
    ...readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isDirectory())
      .flatMap((name) => pageFolders(join(dir, name))),
  ];
}

describe("the dashboard's route table", () => {
  test('has one row for every page under app/(app)/, and no row without its page', () => {
    expect([...pageFolders()].sort()).toEqual(ROUTES.map((route) => route.path).sort());
  });

  test('finds the route of a path: its own row, a [segment] matching any one segment', () => {
    expect(routeOf('/webhooks')?.path).toBe('/webhooks');
    expect(routeOf('/webhooks/')?.path).toBe('/webhooks');
    expect(routeOf('/webhooks/new')?.path).toBe('/webhooks/new');
    expect(routeOf('/webhooks/abc123')?.path).toBe('/webhooks/[webhookId]');
    expect(routeOf('/webhooks/abc123/edit')?.path).toBe('/webhooks/[webhookId]/edit');
    expect(routeOf('/admin/users')?.capability).toBe('admin');
    expect(routeOf('/events/e1')?.capability).toBe('events');
  });

  test('a path below a page is guarded by the nearest page above it; one outside the table by none', () => {
    expect(routeOf('/tokens/anything/deeper')?.path).toBe('/tokens');
    expect(routeOf('/setup')).toBeUndefined();
    expect(routeOf('/')).toBeUndefined();
  });

  test('gives each static page its title, and refuses a path it does not know', () => {
    expect(routeMetadata('/tokens')).toEqual({ title: { absolute: 'API tokens · Ricochet' } });
    expect(() => routeMetadata('/nowhere')).toThrow(/No dashboard route/);
  });
});
