import type { LookupAddress } from 'node:dns';
import dns from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

/**
 * Where outbound calls may go. Webhook URLs are chosen by users, so by default the server refuses
 * everything that is not a public unicast address: otherwise a webhook could probe the intranet or
 * read cloud metadata (169.254.169.254) and have the response body stored for it to read back.
 */
export type OutboundPolicy = {
  /** Let calls reach this host (127/8, ::1, and 0.0.0.0 / :: which connect to it). For dev and tests. */
  allowLoopback: boolean;
  /** Let calls reach every other non-public address (intranet deployments). Loopback keeps its own flag. */
  allowPrivate: boolean;
};

export const FORBIDDEN_ADDRESS_CODE = 'ERR_RICOCHET_FORBIDDEN_ADDRESS';

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = FORBIDDEN_ADDRESS_CODE;
  constructor(
    readonly reason: string,
    readonly hostname?: string,
  ) {
    super(`Refused: ${reason}`);
  }
}

export type { LookupFunction };

type Verdict = { kind: 'public' } | { kind: 'loopback' | 'restricted'; what: string };

const PUBLIC: Verdict = { kind: 'public' };

const V4_RANGE_NAMES: Record<string, string> = {
  private: 'a private address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

const V6_RANGE_NAMES: Record<string, string> = {
  uniqueLocal: 'a unique-local address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  deprecatedSiteLocal: 'a site-local address',
  teredo: 'a Teredo address',
  reserved: 'a reserved address',
  discard: 'a discard-only address',
};

function v4Verdict(address: ipaddr.IPv4): Verdict {
  const range = address.range();
  switch (range) {
    case 'unicast':
      return PUBLIC;
    case 'loopback':
      return { kind: 'loopback', what: 'a loopback address' };
    // Connecting to 0.0.0.0 reaches this host on Linux, so it is governed like loopback.
    case 'unspecified':
      return { kind: 'loopback', what: 'the unspecified address (it reaches this host)' };
    case 'linkLocal':
      if (address.toString() === '169.254.169.254') {
        return { kind: 'restricted', what: 'the cloud metadata address (link-local)' };
      }
      return { kind: 'restricted', what: 'a link-local address' };
    default:
      return { kind: 'restricted', what: V4_RANGE_NAMES[range] ?? `a special-purpose address (${range})` };
  }
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function low32(address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray();
  return new ipaddr.IPv4(bytes.slice(12, 16));
}

/** An address that carries an IPv4 address (NAT64, 6to4, SIIT) is as forbidden as what it carries. */
function embeddedVerdict(embedded: ipaddr.IPv4, mechanism: string): Verdict {
  const inner = v4Verdict(embedded);
  if (inner.kind === 'public') return PUBLIC;
  return { kind: inner.kind, what: `${mechanism} for ${embedded.toString()}, which is ${inner.what}` };
}

function v6Verdict(address: ipaddr.IPv6): Verdict {
  const range: string = address.range();
  const parts = address.parts;
  switch (range) {
    case 'unicast':
      // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) is "unicast" to ipaddr; nothing legitimate
      // lives there, and how a host routes it varies, so it is refused like the address it carries.
      if (parts.slice(0, 6).every((part) => part === 0)) {
        const inner = embeddedVerdict(low32(address), 'an IPv4-compatible address');
        return inner.kind === 'public'
          ? { kind: 'restricted', what: 'a deprecated IPv4-compatible address' }
          : inner;
      }
      return PUBLIC;
    case 'loopback':
      return { kind: 'loopback', what: 'a loopback address' };
    case 'unspecified':
      return { kind: 'loopback', what: 'the unspecified address (it reaches this host)' };
    case 'rfc6052':
      // 64:ff9b::/96 is the well-known NAT64 prefix: DNS64 networks use it to reach public IPv4 hosts,
      // so it is judged by the IPv4 address in it. 64:ff9b:1::/48 is for local translators only.
      if (parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0) {
        return embeddedVerdict(low32(address), 'a NAT64 address');
      }
      return { kind: 'restricted', what: 'a local-use NAT64 address' };
    case 'rfc6145':
      return embeddedVerdict(low32(address), 'an IPv4-translated address');
    case '6to4': {
      const bytes = address.toByteArray();
      return embeddedVerdict(new ipaddr.IPv4(bytes.slice(2, 6)), 'a 6to4 address');
    }
    default:
      return { kind: 'restricted', what: V6_RANGE_NAMES[range] ?? `a special-purpose address (${range})` };
  }
}

function verdictFor(ip: string): Verdict | null {
  const bare = unbracketHost(ip);
  // net.isIP is the gate because it accepts exactly what the socket layer connects to; ipaddr alone
  // would also read forms such as 0x7f.1 or 017.0.0.1 that the socket layer would resolve instead.
  if (isIP(bare) === 0) return null;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:a.b.c.d into a.b.c.d, so a mapped loopback is judged as loopback.
    parsed = ipaddr.process(bare);
  } catch {
    return null;
  }
  if (parsed instanceof ipaddr.IPv6) return v6Verdict(parsed);
  const verdict = v4Verdict(parsed);
  if (verdict.kind === 'public' || isIP(bare) === 4) return verdict;
  return {
    kind: verdict.kind,
    what: `an IPv4-mapped address for ${parsed.toString()}, which is ${verdict.what}`,
  };
}

/**
 * Why a call must not connect to `ip`, or null when it may. Anything that is not an IP address is
 * refused whatever the policy: this only ever judges addresses about to be connected to.
 */
export function forbiddenAddressReason(ip: string, policy: OutboundPolicy): string | null {
  const verdict = verdictFor(ip);
  if (verdict === null) return `${ip} is not an IP address`;
  switch (verdict.kind) {
    case 'public':
      return null;
    case 'loopback':
      return policy.allowLoopback ? null : `${ip} is ${verdict.what}`;
    case 'restricted':
      return policy.allowPrivate ? null : `${ip} is ${verdict.what}`;
  }
}

/** `[::1]` (URL hostname form) → `::1`; anything else unchanged. */
export function unbracketHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

const systemLookup: LookupFunction = dns.lookup;

/**
 * A `lookup` for net/tls `connect()` that resolves once, drops the forbidden addresses and hands only
 * vetted ones to the socket. Because the socket connects to exactly what this returns, DNS rebinding
 * (a name that answers public to a check and private to the connect) has no second answer to swap in.
 * A name with some forbidden and some allowed addresses still connects, to the allowed ones only.
 */
export function createGuardedLookup(
  policy: OutboundPolicy,
  lookup: LookupFunction = systemLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    const onResolved = (
      error: NodeJS.ErrnoException | null,
      result: string | LookupAddress[],
      family?: number,
    ): void => {
      if (error) {
        callback(error, '');
        return;
      }
      const resolved: LookupAddress[] =
        typeof result === 'string' ? [{ address: result, family: family ?? isIP(result) }] : result;
      const vetted: LookupAddress[] = [];
      let firstReason: string | null = null;
      for (const entry of resolved) {
        const reason = forbiddenAddressReason(entry.address, policy);
        if (reason === null) vetted.push(entry);
        else firstReason ??= reason;
      }
      const first = vetted[0];
      if (first === undefined) {
        if (firstReason !== null) {
          callback(new ForbiddenAddressError(`${firstReason} (resolved from ${hostname})`, hostname), '');
        } else {
          const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          notFound.code = 'ENOTFOUND';
          callback(notFound, '');
        }
        return;
      }
      if (options.all) callback(null, vetted);
      else callback(null, first.address, first.family);
    };
    try {
      lookup(hostname, { ...options, all: true }, onResolved);
    } catch (error) {
      callback(error as NodeJS.ErrnoException, '');
    }
  };
}

/** Defence in depth: the address a socket actually reached, judged again after connecting. */
export function vetConnectedSocket(
  socket: Pick<Socket, 'remoteAddress'>,
  policy: OutboundPolicy,
): ForbiddenAddressError | null {
  const remote = socket.remoteAddress;
  if (remote === undefined) return new ForbiddenAddressError('the connected socket has no remote address');
  const reason = forbiddenAddressReason(remote, policy);
  return reason === null ? null : new ForbiddenAddressError(reason);
}

export type GuardedConnectorOptions = {
  policy: OutboundPolicy;
  lookup?: LookupFunction;
  /** false only for webhooks that opted into ignoreSslErrors. */
  rejectUnauthorized?: boolean;
  connectTimeoutMs?: number;
};

/**
 * An undici connector that enforces the policy at every layer a connection passes: IP-literal hosts
 * before connecting (net skips lookup for them), names through the guarded lookup, and the socket's
 * remote address once connected.
 */
export function createGuardedConnector({
  policy,
  lookup,
  rejectUnauthorized = true,
  connectTimeoutMs = 10_000,
}: GuardedConnectorOptions): buildConnector.connector {
  const connect = buildConnector({
    lookup: createGuardedLookup(policy, lookup),
    rejectUnauthorized,
    timeout: connectTimeoutMs,
  });
  return (options, callback) => {
    const host = unbracketHost(options.hostname);
    if (isIP(host) !== 0) {
      const reason = forbiddenAddressReason(host, policy);
      if (reason !== null) {
        callback(new ForbiddenAddressError(reason, host), null);
        return;
      }
    }
    connect(options, (...[error, socket]: Parameters<buildConnector.Callback>) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      const refusal = vetConnectedSocket(socket, policy);
      if (refusal !== null) {
        socket.destroy();
        callback(refusal, null);
        return;
      }
      callback(null, socket);
    });
  };
}
