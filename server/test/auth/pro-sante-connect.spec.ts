import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentType } from '../../src/modules/exam/exam.entity.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { freePort } from '../../src/infra/db/embedded-postgres.js';
import { Factory } from '../factories.js';
import { GqlClient, TEST_PASSWORD, errorCode, randomRpps, startTestServer, type TestServer } from '../harness.js';
import { sql, tokenIn } from './db-probe.js';
import { claimsOf, startPscProvider, type PscProvider } from './psc-provider.js';

/**
 * Pro Santé Connect login (issue 20, ADR 0123/0124) against a real OpenID Connect provider on
 * loopback configured like PSC. A "browser" here is the portal's cookie jar plus the provider's,
 * following redirects by hand as a browser would.
 */

const ME = `{ me { id email rpps role } }`;

/** Two cookie jars (portal and provider) and manual redirects: one browser. */
class Browser {
  readonly portal: GqlClient;
  private readonly providerCookies = new Map<string, string>();
  /** Every URL the browser was sent to, in order. */
  readonly visited: string[] = [];

  constructor(
    private readonly t: TestServer,
    private readonly psc: PscProvider,
  ) {
    this.portal = new GqlClient(t.url);
  }

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    this.visited.push(url);
    if (url.startsWith(this.t.url)) return this.portal.fetch(url.slice(this.t.url.length), init);
    const cookie = [...this.providerCookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      if (/expires=Thu, 01 Jan 1970/i.test(line) || i === pair.length - 1) this.providerCookies.delete(pair.slice(0, i));
      else this.providerCookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  /**
   * Follows redirects from `url` until a page: returns the portal page the browser lands on
   * (path and query), or the provider's page.
   */
  async follow(url: string): Promise<{ landed: string; response: Response }> {
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.get(next);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { landed: next.replace(this.t.url, ''), response: res };
      next = new URL(location, next).href;
      // The portal's own pages are the shell's: the browser would load the app there.
      if (next.startsWith(this.t.url) && !new URL(next).pathname.startsWith('/api/')) return { landed: next.slice(this.t.url.length), response: res };
    }
    throw new Error(`Too many redirects from ${url}`);
  }

  /** Clicks « Se connecter avec Pro Santé Connect » and goes through to wherever it leads. */
  login(): Promise<{ landed: string; response: Response }> {
    return this.follow(`${this.t.url}/api/auth/psc/login`);
  }

  /** The callback URL the provider sent this browser to (the last one). */
  callbackUrl(): string {
    const url = [...this.visited].reverse().find((u) => u.startsWith(`${this.t.url}/api/auth/psc/callback`));
    if (!url) throw new Error('No callback visited');
    return url;
  }

  async me(): Promise<{ id: string; email: string; rpps: string | null; role: string } | null> {
    return (await this.portal.mustQuery<{ me: { id: string; email: string; rpps: string | null; role: string } | null }>(ME)).me;
  }
}

async function physician(t: TestServer, rpps = randomRpps()): Promise<{ id: string; rpps: string }> {
  const { userId } = await t.login(Role.PHYSICIAN, { rpps });
  return { id: userId, rpps };
}

async function auditOutcomes(t: TestServer, action: string, since: Date): Promise<string[]> {
  const rows = await sql<{ outcome: string }>(t, `select outcome from audit_event where action = ? and at >= ? order by at`, [action, since]);
  return rows.map((r) => r.outcome);
}

describe('Pro Santé Connect login (issue 20)', () => {
  let t: TestServer;
  let psc: PscProvider;
  let admin: GqlClient;

  beforeAll(async () => {
    psc = await startPscProvider();
    t = await startTestServer({ PSC_ISSUER_URL: psc.issuer, PSC_CLIENT_ID: psc.clientId, PSC_CLIENT_SECRET: psc.clientSecret });
    psc.serve(t.url);
    admin = (await t.login(Role.ADMIN)).client;
  });
  afterAll(async () => {
    await t?.stop();
    await psc?.stop();
  });

  it('the login page is told that Pro Santé Connect is offered', async () => {
    const config = (await (await t.client().fetch('/api/config')).json()) as { proSanteConnect: boolean };
    expect(config.proSanteConnect).toBe(true);
  });

  it('logs a physician in by the RPPS the provider vouches for: code with PKCE, state, nonce, acr eidas1; the same session cookie as a password login', async () => {
    const { id, rpps } = await physician(t);
    psc.nextLogin = psc.addAccount({ rpps });
    const browser = new Browser(t, psc);
    const since = new Date();
    const start = await browser.get(`${t.url}/api/auth/psc/login`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(authorize.origin).toBe(psc.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: psc.clientId,
      redirect_uri: `${t.url}/api/auth/psc/callback`,
      scope: 'openid scope_all',
      acr_values: 'eidas1',
      code_challenge_method: 'S256',
    });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(authorize.searchParams.get(p)?.length).toBeGreaterThanOrEqual(43);
    expect(start.headers.getSetCookie().find((c) => c.startsWith('emage_psc='))).toMatch(/HttpOnly/i);

    const { landed, response } = await browser.follow(authorize.href);
    expect(landed).toBe('/');
    expect(response.headers.getSetCookie().find((c) => c.startsWith('emage_session='))).toMatch(/HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/i);
    expect(await browser.me()).toMatchObject({ id, rpps, role: 'PHYSICIAN' });
    expect(await auditOutcomes(t, 'LOGIN_SUCCEEDED', since)).toEqual(['PRO_SANTE_CONNECT']);
  });

  it('lands on the page the login page was asked for (a record from a notification e-mail), never on another site', async () => {
    const { rpps } = await physician(t);
    psc.nextLogin = psc.addAccount({ rpps });
    const browser = new Browser(t, psc);
    expect((await browser.follow(`${t.url}/api/auth/psc/login?suite=${encodeURIComponent('/patients/abc?onglet=resultats')}`)).landed).toBe('/patients/abc?onglet=resultats');
    for (const elsewhere of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      const other = new Browser(t, psc);
      expect((await other.follow(`${t.url}/api/auth/psc/login?suite=${encodeURIComponent(elsewhere)}`)).landed).toBe('/');
    }
  });

  it('two logins started in two tabs of one browser both complete', async () => {
    const { id, rpps } = await physician(t);
    psc.nextLogin = psc.addAccount({ rpps });
    const browser = new Browser(t, psc);
    const first = (await browser.get(`${t.url}/api/auth/psc/login`)).headers.get('location') ?? '';
    const second = (await browser.get(`${t.url}/api/auth/psc/login`)).headers.get('location') ?? '';
    expect((await browser.follow(first)).landed).toBe('/');
    expect((await browser.follow(second)).landed).toBe('/');
    expect((await browser.me())?.id).toBe(id);
  });

  it('a first login activates the account an administrator approved for that RPPS, with the exams waiting for it; its activation link is spent', async () => {
    const rpps = randomRpps();
    const email = `psc-${rpps}@test.e-mage.fr`;
    await t.client().mustQuery(`mutation($i: AccountRequestInput!) { requestAccount(input: $i) }`, { i: { firstName: 'Camille', lastName: 'Martin', email, rpps } });
    let requestId: string | undefined;
    for (let i = 0; !requestId && i < 200; i++) {
      const list = await admin.mustQuery<{ accountRequests: Array<{ id: string; email: string }> }>(`{ accountRequests(status: PENDING) { id email } }`);
      requestId = list.accountRequests.find((r) => r.email === email)?.id;
      if (!requestId) await new Promise((r) => setTimeout(r, 50));
    }
    // Before approval: the request is pending, and nothing opens.
    psc.nextLogin = psc.addAccount({ rpps });
    const early = new Browser(t, psc);
    expect((await early.login()).landed).toBe('/connexion?psc=request-pending');
    expect(await early.me()).toBeNull();

    await admin.mustQuery(`mutation($id: ID!) { approveAccountRequest(id: $id) { id } }`, { id: requestId });
    const activationToken = tokenIn((await t.waitForMail((m) => m.to.includes(email))).text, 'activation');
    // An exam published for this RPPS before the account is active: a right waiting for it.
    const f = new Factory(t.deps);
    const facility = await f.facility();
    const patient = await f.patient({ firstName: 'Hélène', lastName: 'Psc' });
    const { exam } = await f.exam({ patient, facility, documents: [{ type: DocumentType.REPORT }] });
    await sql(t, `insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) values (gen_random_uuid(), ?, null, ?, 'PRESCRIBER', now())`, [exam.id, rpps]);

    const since = new Date();
    const browser = new Browser(t, psc);
    expect((await browser.login()).landed).toBe('/');
    expect(await browser.me()).toMatchObject({ email, rpps, role: 'PHYSICIAN' });
    const dashboard = await browser.portal.mustQuery<{ patients: { edges: Array<{ node: { id: string } }> } }>(`{ patients(first: 10) { edges { node { id } } } }`);
    expect(dashboard.patients.edges.map((e) => e.node.id)).toEqual([patient.id]);
    expect(await auditOutcomes(t, 'ACCOUNT_ACTIVATED', since)).toEqual(['PRO_SANTE_CONNECT']);
    const activate = await t.client().query(`mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`, { t: activationToken, p: TEST_PASSWORD });
    expect(errorCode(activate)).toBe('INVALID_TOKEN');
  });

  it('an RPPS that matches no account and no request: a clear refusal, nothing created, audited', async () => {
    const rpps = randomRpps();
    psc.nextLogin = psc.addAccount({ rpps });
    const users = await sql<{ n: number }>(t, `select count(*)::int as n from app_user`);
    const since = new Date();
    const browser = new Browser(t, psc);
    expect((await browser.login()).landed).toBe('/connexion?psc=unknown-rpps');
    expect(await browser.me()).toBeNull();
    expect(await sql<{ n: number }>(t, `select count(*)::int as n from app_user`)).toEqual(users);
    expect(await sql(t, `select 1 from account_request where rpps = ?`, [rpps])).toHaveLength(0);
    expect(await auditOutcomes(t, 'LOGIN_FAILED', since)).toEqual(['UNKNOWN_ACCOUNT']);
  });

  it('a disabled account is refused', async () => {
    const { id, rpps } = await physician(t);
    await sql(t, `update app_user set status = 'DISABLED' where id = ?`, [id]);
    psc.nextLogin = psc.addAccount({ rpps });
    const browser = new Browser(t, psc);
    expect((await browser.login()).landed).toBe('/connexion?psc=disabled');
    expect(await browser.me()).toBeNull();
  });

  it('a login cancelled at the provider comes back to the login page', async () => {
    psc.nextLogin = null;
    const browser = new Browser(t, psc);
    expect((await browser.login()).landed).toBe('/connexion?psc=cancelled');
    expect(await browser.me()).toBeNull();
  });

  describe('refuses an ID token that fails a check, whatever the provider signs', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, (token: string) => string]> = [
      ['signed by another key than the provider’s JWKS', (token) => psc.signWithOtherKey(claimsOf(token))],
      ['for another audience', (token) => psc.signAsProvider({ ...claimsOf(token), aud: 'another-client' })],
      ['from another issuer', (token) => psc.signAsProvider({ ...claimsOf(token), iss: 'https://auth.esante.gouv.fr/auth/realms/esante-wallet' })],
      ['past its expiry', (token) => psc.signAsProvider({ ...claimsOf(token), iat: now() - 7200, exp: now() - 3600 })],
      ['with another login’s nonce', (token) => psc.signAsProvider({ ...claimsOf(token), nonce: 'a-nonce-from-another-login-0123456789abcdef' })],
      ['without the eidas1 level', (token) => psc.signAsProvider({ ...claimsOf(token), acr: 'eidas0' })],
    ];
    it.each(cases)('%s: no session, the refusal audited', async (_name, tamper) => {
      const { rpps } = await physician(t);
      psc.nextLogin = psc.addAccount({ rpps });
      psc.tamper = tamper;
      const since = new Date();
      const browser = new Browser(t, psc);
      try {
        expect((await browser.login()).landed).toBe('/connexion?psc=refused');
      } finally {
        psc.tamper = null;
      }
      expect(await browser.me()).toBeNull();
      expect(browser.portal.cookies.has('emage_session')).toBe(false);
      expect(await auditOutcomes(t, 'LOGIN_FAILED', since)).toEqual(['PSC_REJECTED']);
    });

    it('a genuine ID token of an earlier login, replayed into a new one (its nonce), is refused', async () => {
      const { rpps } = await physician(t);
      psc.nextLogin = psc.addAccount({ rpps });
      const first = new Browser(t, psc);
      expect((await first.login()).landed).toBe('/');
      const earlier = psc.idTokens.at(-1) ?? '';
      psc.tamper = () => earlier;
      const second = new Browser(t, psc);
      try {
        expect((await second.login()).landed).toBe('/connexion?psc=refused');
      } finally {
        psc.tamper = null;
      }
      expect(await second.me()).toBeNull();
    });
  });

  describe('denials on the callback', () => {
    it('a callback replayed after its login (same code and state) opens nothing, in that browser or another', async () => {
      const { rpps } = await physician(t);
      psc.nextLogin = psc.addAccount({ rpps });
      const browser = new Browser(t, psc);
      expect((await browser.login()).landed).toBe('/');
      const callback = browser.callbackUrl();
      const replay = new Browser(t, psc);
      expect((await replay.follow(callback)).landed).toBe('/connexion?psc=refused');
      expect(await replay.me()).toBeNull();
      const again = await browser.get(callback);
      expect(again.headers.get('location')).toBe('/connexion?psc=refused');
    });

    it('a callback without state, or without the login cookie, is refused', async () => {
      const browser = new Browser(t, psc);
      expect((await browser.follow(`${t.url}/api/auth/psc/callback?code=abc`)).landed).toBe('/connexion?psc=refused');
      expect((await browser.follow(`${t.url}/api/auth/psc/callback?code=abc&state=xyz`)).landed).toBe('/connexion?psc=refused');
      expect(await browser.me()).toBeNull();
    });

    it('the state of another browser is refused there and still works in its own browser (login CSRF)', async () => {
      const { id, rpps } = await physician(t);
      psc.nextLogin = psc.addAccount({ rpps });
      const victim = new Browser(t, psc);
      const attacker = new Browser(t, psc);
      // The attacker starts a login and stops at the provider's redirect back, with its code and state.
      let next = (await attacker.get(`${t.url}/api/auth/psc/login`)).headers.get('location') ?? '';
      while (!next.startsWith(`${t.url}/api/auth/psc/callback`)) next = new URL((await attacker.get(next)).headers.get('location') ?? '', next).href;
      // The victim's browser is made to visit it: it has a login of its own under way, not this one.
      await victim.get(`${t.url}/api/auth/psc/login`);
      expect((await victim.follow(next)).landed).toBe('/connexion?psc=refused');
      expect(await victim.me()).toBeNull();
      expect((await attacker.follow(next)).landed).toBe('/');
      expect((await attacker.me())?.id).toBe(id);
    });

    it('a callback the provider answers with a forged code is refused', async () => {
      const browser = new Browser(t, psc);
      const authorize = new URL((await browser.get(`${t.url}/api/auth/psc/login`)).headers.get('location') ?? '');
      const state = authorize.searchParams.get('state') ?? '';
      expect((await browser.follow(`${t.url}/api/auth/psc/callback?code=forged&state=${state}&iss=${encodeURIComponent(psc.issuer)}`)).landed).toBe('/connexion?psc=refused');
      expect(await browser.me()).toBeNull();
    });
  });

  describe('logout', () => {
    it('ends the local session and sends the browser to the provider’s end_session with id_token_hint; the provider’s session ends too', async () => {
      const { rpps } = await physician(t);
      psc.nextLogin = psc.addAccount({ rpps });
      const browser = new Browser(t, psc);
      expect((await browser.login()).landed).toBe('/');
      const idToken = psc.idTokens.at(-1);
      const since = new Date();
      const res = await browser.portal.fetch('/api/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      const { redirectTo } = (await res.json()) as { redirectTo: string };
      const endSession = new URL(redirectTo);
      expect(endSession.origin).toBe(psc.issuer);
      expect(endSession.searchParams.get('id_token_hint')).toBe(idToken);
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${t.url}/connexion`);
      expect(await browser.me()).toBeNull();
      expect(await auditOutcomes(t, 'LOGOUT', since)).toHaveLength(1);

      // At the provider: its confirmation page, then back to the portal's login page.
      const page = await browser.get(redirectTo);
      const html = await page.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '';
      const fields = new URLSearchParams([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']));
      fields.set('logout', 'yes');
      const confirmed = await browser.get(new URL(action, redirectTo).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
      expect(confirmed.headers.get('location')).toBe(`${t.url}/connexion`);
      // The provider asks this browser to log in again: its session there is over.
      psc.prompts.length = 0;
      expect((await browser.login()).landed).toBe('/');
      expect(psc.prompts[0]).toBe('login');
    });

    it('a password session logs out with no provider to visit; a form post (not JSON) is refused', async () => {
      const { client } = await t.login(Role.PHYSICIAN);
      const form = await client.fetch('/api/auth/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect(form.status).toBe(415);
      expect((await client.mustQuery<{ me: unknown }>(ME)).me).not.toBeNull();
      const res = await client.fetch('/api/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(await res.json()).toEqual({ redirectTo: null });
      expect((await client.mustQuery<{ me: unknown }>(ME)).me).toBeNull();
    });
  });
});

describe('Pro Santé Connect not configured', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it('is not offered: the login route and the callback are 404s', async () => {
    const config = (await (await t.client().fetch('/api/config')).json()) as { proSanteConnect: boolean };
    expect(config.proSanteConnect).toBe(false);
    expect((await t.client().fetch('/api/auth/psc/login')).status).toBe(404);
    expect((await t.client().fetch('/api/auth/psc/callback?code=a&state=b')).status).toBe(404);
  });
});

describe('Pro Santé Connect unreachable', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Nothing listens at the issuer: discovery fails at the first login.
    t = await startTestServer({ PSC_ISSUER_URL: `http://127.0.0.1:${await freePort()}`, PSC_CLIENT_ID: 'e-mage', PSC_CLIENT_SECRET: 'secret' });
  });
  afterAll(() => t?.stop());

  it('the login comes back to the login page saying the provider does not answer; nothing is left behind', async () => {
    const res = await t.client().fetch('/api/auth/psc/login');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/connexion?psc=unavailable');
    expect(await sql(t, `select 1 from oidc_login`)).toHaveLength(0);
  });
});

describe('Pro Santé Connect callbacks from one address', () => {
  let t: TestServer;
  beforeAll(async () => {
    // 3 callbacks a minute per address instead of 30.
    t = await startTestServer({ PSC_ISSUER_URL: `http://127.0.0.1:${await freePort()}`, PSC_CLIENT_ID: 'e-mage', PSC_CLIENT_SECRET: 'secret', RATE_LIMIT_SCALE: '0.1' });
  });
  afterAll(() => t?.stop());

  it('are limited: made-up callbacks past the limit are refused without filling the audit trail', async () => {
    const since = new Date();
    const locations: Array<string | null> = [];
    for (let i = 0; i < 5; i++) locations.push((await t.client().fetch(`/api/auth/psc/callback?code=x&state=made-up-${i}`)).headers.get('location'));
    expect(locations).toEqual([...Array(3).fill('/connexion?psc=refused'), ...Array(2).fill('/connexion?psc=rate-limited')]);
    expect(await auditOutcomes(t, 'LOGIN_FAILED', since)).toEqual(['PSC_REJECTED', 'PSC_REJECTED', 'PSC_REJECTED']);
  });
});
