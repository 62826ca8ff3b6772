import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID Connect provider (npm oidc-provider) on loopback, configured like Pro Santé
 * Connect: scopes `openid scope_all`, PSC's professional claims served by UserInfo, acr
 * `eidas1`, ID tokens signed RS256 with a key published in its JWKS, PKCE required, and
 * RP-initiated logout. The login screen is the one thing replaced: whoever `nextLogin` names
 * is logged in (or the login is cancelled when it is null), as if they had used their card.
 *
 * `tamper` rewrites the ID token of the next token responses, as an attacker able to alter them
 * would: re-signed with the provider's key (`signAsProvider`) or another one (`signWithOtherKey`).
 */
export interface PscAccount {
  /** RPPS number; SubjectNameID is "8" + it. */
  rpps: string;
  givenName?: string;
  familyName?: string;
}

export interface PscProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The PSC identifier (`sub`) of a person, who may now log in. */
  addAccount(account: PscAccount): string;
  /** Who the next login interaction logs in; null cancels it (access_denied). */
  nextLogin: string | null;
  /** The prompts the interactions showed, in order (`login`, `consent`). */
  prompts: string[];
  /** Every ID token the token endpoint issued (before tampering). */
  idTokens: string[];
  tamper: ((idToken: string) => string) | null;
  /** Registers the portal at `portalUrl` as the client (its callback and logout return URLs) and starts answering. */
  serve(portalUrl: string): void;
  signAsProvider(payload: Record<string, unknown>): string;
  signWithOtherKey(payload: Record<string, unknown>): string;
  stop(): Promise<void>;
}

const KID = 'psc-test-key';

function jwt(payload: Record<string, unknown>, key: KeyObject): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KID })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${header}.${body}.${sign('sha256', Buffer.from(`${header}.${body}`), key).toString('base64url')}`;
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Listens at once (so the portal can be configured with the issuer), answers once `serve` is called. */
export async function startPscProvider(opts: { host?: string } = {}): Promise<PscProvider> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const providerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const accounts = new Map<string, Record<string, unknown>>();
  const clientId = 'e-mage-test';
  const clientSecret = 'psc-test-secret-0123456789abcdef';

  function serve(portalUrl: string): void {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [`${portalUrl}/api/auth/psc/callback`],
          post_logout_redirect_uris: [`${portalUrl}/connexion`],
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_basic',
          id_token_signed_response_alg: 'RS256',
        },
      ],
      jwks: { keys: [{ ...providerKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] },
      scopes: ['openid', 'scope_all'],
      claims: {
        openid: ['sub'],
        scope_all: ['SubjectNameID', 'SubjectRefPro', 'preferred_username', 'given_name', 'family_name', 'SubjectOrganization'],
      },
      acrValues: ['eidas1'],
      pkce: { required: () => true },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
      cookies: { keys: ['psc-test-cookie-key-0123456789'] },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource(ctx: KoaContextWithOIDC, form: string) {
            ctx.body = `<!DOCTYPE html><html lang="fr"><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter de Pro Santé Connect</button></body></html>`;
          },
        },
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx, sub) {
        const claims = accounts.get(sub);
        return claims ? { accountId: sub, claims: async () => ({ sub, ...claims }) } : undefined;
      },
    });

    provider.use(async (ctx, next) => {
      if (ctx.path.startsWith('/interaction/')) {
        const details = await provider.interactionDetails(ctx.req, ctx.res);
        psc.prompts.push(details.prompt.name);
        let result;
        if (details.prompt.name === 'login') {
          result = psc.nextLogin
            ? { login: { accountId: psc.nextLogin, acr: 'eidas1', amr: ['mfa'] } }
            : { error: 'access_denied', error_description: 'Authentification annulée' };
        } else {
          const accountId = details.session?.accountId ?? '';
          const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
          if (!grant) throw new Error('grant lost');
          const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
          if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
          if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
          result = { consent: { grantId: await grant.save() } };
        }
        ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
        return;
      }
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && body?.id_token) {
        psc.idTokens.push(body.id_token);
        if (psc.tamper) ctx.body = { ...body, id_token: psc.tamper(body.id_token) };
      }
    });
    // Quiet in tests: a refused client or a cancelled login is what the specs expect.
    provider.on('server_error', () => undefined);
    server.on('request', provider.callback());
  }

  const psc: PscProvider = {
    issuer,
    clientId,
    clientSecret,
    nextLogin: null,
    prompts: [],
    idTokens: [],
    tamper: null,
    addAccount({ rpps, givenName = 'Camille', familyName = 'Martin' }) {
      const sub = `f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:${rpps}`;
      accounts.set(sub, {
        SubjectNameID: `8${rpps}`,
        preferred_username: `8${rpps}`,
        given_name: givenName,
        family_name: familyName,
        SubjectOrganization: 'CABINET DU DR MARTIN',
        SubjectRefPro: {
          codeCivilite: 'DR',
          exercices: [{ codeProfession: '10', codeCategorieProfessionnelle: 'C', nomDExercice: familyName, prenomDExercice: givenName, activities: [] }],
        },
      });
      return sub;
    },
    serve,
    signAsProvider: (payload) => jwt(payload, providerKey),
    signWithOtherKey: (payload) => jwt(payload, otherKey),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  return psc;
}
