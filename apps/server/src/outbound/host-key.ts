/**
 * The key of a call's target for the per-host bound: `hostname:port`, lowercased, default port
 * filled in, `[v6]:port` for IPv6. Stored on each webhook (Webhook.hostKey) so the queue counts the
 * calls in flight to a host across every worker; the HTTP sender keys its own bound the same way.
 * A URL that does not parse has the key "" (its calls fail before connecting anyway).
 */
export function hostKeyOf(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '';
  }
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname.toLowerCase()}:${port}`;
}
