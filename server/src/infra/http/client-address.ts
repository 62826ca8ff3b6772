import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { Config, TrustProxy } from '../../config.js';

export type TrustFunction = (address: string, hop: number) => boolean;

const compiled = new WeakMap<Config, TrustFunction>();

function compile(trust: TrustProxy): TrustFunction {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust.length ? proxyAddr.compile(trust) : () => false;
}

/** The trust in proxies that TRUST_PROXY describes, compiled once per configuration. */
export function trustOf(config: Config): TrustFunction {
  let fn = compiled.get(config);
  if (!fn) {
    fn = compile(config.trustProxy);
    compiled.set(config, fn);
  }
  return fn;
}

const ADDRESS = Symbol('clientAddress');
const ADDRESS_CONFIG = Symbol('clientAddress.config');

/**
 * The client's address, for rate limits and the audit trail: the peer's, unless it is a trusted
 * proxy, in which case the address that proxy put last in X-Forwarded-For (and so on while the
 * hops are trusted). Whatever a client writes there itself stays to the left of what its first
 * trusted proxy appended, so it is never taken. Express requests and WebSocket upgrade requests
 * alike.
 */
export function clientAddress(req: IncomingMessage, config: Config): string | null {
  // Worked out once per request (the request budget and the GraphQL context both ask), for the
  // configuration it was worked out for.
  const memo = req as IncomingMessage & { [ADDRESS]?: string | null; [ADDRESS_CONFIG]?: Config };
  if (memo[ADDRESS_CONFIG] === config) return memo[ADDRESS]!;
  if (!req.socket.remoteAddress) return null;
  const address = proxyAddr(req, trustOf(config));
  memo[ADDRESS] = address;
  memo[ADDRESS_CONFIG] = config;
  return address;
}
