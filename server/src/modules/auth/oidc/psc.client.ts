import * as oidc from 'openid-client';
import type { PscConfig } from '../../../config.js';

/**
 * Pro Santé Connect through openid-client: discovery, the authorisation URL, the code grant with
 * its checks (PKCE, state, nonce, the ID token’s signature against the provider’s JWKS, issuer,
 * audience, expiry), the UserInfo claims and the provider's logout URL. What the library checks
 * is not checked again here; what PSC adds (the acr level, the RPPS) is, in psc.service.ts.
 */

/** PSC's scopes: `scope_all` brings the professional claims (SubjectNameID, SubjectRefPro, …). */
export const PSC_SCOPE = 'openid scope_all';
/** The authentication level asked for and required: a CPS card or the e-CPS application. */
export const PSC_ACR = 'eidas1';
/** A provider slower than this is reported as unavailable rather than holding the browser. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** One discovery per issuer and client per process; a failed one is tried again at the next login. */
const configurations = new Map<string, Promise<oidc.Configuration>>();

export function pscConfiguration(psc: PscConfig): Promise<oidc.Configuration> {
  const key = `${psc.issuerUrl}\n${psc.clientId}`;
  let pending = configurations.get(key);
  if (!pending) {
    // Plain HTTP only reaches this point outside production (config.ts refuses it there): a
    // provider on loopback in tests and development.
    const insecure = new URL(psc.issuerUrl).protocol === 'http:';
    // The library trusts TLS for an ID token from the token endpoint and checks no signature
    // (OpenID Connect allows it); the non-repudiation checks verify it against the provider's
    // JWKS, so a token that was not signed by PSC's keys never opens a session.
    const execute = [oidc.enableNonRepudiationChecks, ...(insecure ? [oidc.allowInsecureRequests] : [])];
    pending = oidc
      .discovery(new URL(psc.issuerUrl), psc.clientId, { id_token_signed_response_alg: 'RS256' }, oidc.ClientSecretBasic(psc.clientSecret), {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        execute,
      })
      .then((configuration) => {
        configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
        return configuration;
      });
    pending.catch(() => configurations.delete(key));
    configurations.set(key, pending);
  }
  return pending;
}

/** What a login under way keeps until its callback: all three single-use, from the CSPRNG. */
export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export function newLoginChecks(): LoginChecks {
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

export async function authorizationUrl(psc: PscConfig, checks: LoginChecks): Promise<URL> {
  const configuration = await pscConfiguration(psc);
  return oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: psc.redirectUrl,
    scope: PSC_SCOPE,
    acr_values: PSC_ACR,
    state: checks.state,
    nonce: checks.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
    code_challenge_method: 'S256',
  });
}

export interface PscIdentity {
  idToken: string;
  /** The validated ID token's claims. */
  idClaims: Record<string, unknown>;
  /** UserInfo's claims, whose `sub` the library matched with the ID token's. */
  userInfo: Record<string, unknown>;
}

/**
 * Exchanges the code of `callbackUrl` (the redirect URL with the provider's query) and validates
 * the answer; throws whatever the library refused.
 */
export async function exchangeCode(psc: PscConfig, callbackUrl: URL, checks: LoginChecks): Promise<PscIdentity> {
  const configuration = await pscConfiguration(psc);
  const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
    pkceCodeVerifier: checks.codeVerifier,
    expectedState: checks.state,
    expectedNonce: checks.nonce,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  if (!idClaims || !tokens.id_token) throw new Error('The provider sent no ID token');
  const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
  return { idToken: tokens.id_token, idClaims: { ...idClaims }, userInfo: { ...userInfo } };
}

/** The provider's logout URL for this ID token, or null when it advertises none. */
export async function endSessionUrl(psc: PscConfig, idToken: string): Promise<string | null> {
  const configuration = await pscConfiguration(psc);
  if (!configuration.serverMetadata().end_session_endpoint) return null;
  return oidc.buildEndSessionUrl(configuration, { id_token_hint: idToken, post_logout_redirect_uri: psc.postLogoutRedirectUrl }).href;
}
