import http from 'node:http';
import { GqlClient } from '../harness.js';

/**
 * A client whose connections leave from another loopback address (Linux routes all of
 * 127.0.0.0/8 to lo): to the server, another machine, with no proxy header involved.
 */
export class AddressedClient extends GqlClient {
  constructor(
    baseUrl: string,
    readonly localAddress: string,
  ) {
    super(baseUrl);
  }

  override async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(this.baseUrl + pathname);
    const headers: Record<string, string> = { ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}), ...this.headers, ...(init.headers as Record<string, string>) };
    const body = typeof init.body === 'string' ? init.body : undefined;
    const res = await new Promise<Response>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers, localAddress: this.localAddress },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('error', reject);
          r.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(r.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
            resolve(new Response(Buffer.concat(chunks), { status: r.statusCode ?? 0, headers: h }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    this.storeCookies(res);
    return res;
  }
}
