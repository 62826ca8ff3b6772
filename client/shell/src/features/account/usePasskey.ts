import { useApolloClient } from '@vue/apollo-composable';
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { graphql } from '@/gql';
import type { SessionUser } from '@/composables/useSession';
import type { EnrolmentResult } from './enrolment';

const START_ENROLMENT = graphql(`mutation StartPasskeyEnrolment { startPasskeyEnrolment }`);
const CONFIRM_ENROLMENT = graphql(`
  mutation ConfirmPasskeyEnrolment($response: String!) {
    confirmPasskeyEnrolment(response: $response) {
      recoveryCodes
      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }
    }
  }
`);
const START_LOGIN = graphql(`mutation StartPasskeyLogin { startPasskeyLogin }`);
const VERIFY_LOGIN = graphql(`
  mutation VerifyPasskeyLogin($response: String!) {
    verifyPasskeyLogin(response: $response) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }
  }
`);

/**
 * Passkeys through the browser's WebAuthn API: the server's options go to
 * navigator.credentials (via SimpleWebAuthn), the authenticator's answer back to the server.
 * A person cancelling the browser's dialog rejects with a DOMException named NotAllowedError.
 */
export function usePasskey() {
  const { resolveClient } = useApolloClient();

  async function enrol(): Promise<EnrolmentResult> {
    const client = resolveClient();
    const start = await client.mutate({ mutation: START_ENROLMENT });
    const optionsJSON = JSON.parse(start.data!.startPasskeyEnrolment) as Parameters<typeof startRegistration>[0]['optionsJSON'];
    const answer = await startRegistration({ optionsJSON });
    const res = await client.mutate({ mutation: CONFIRM_ENROLMENT, variables: { response: JSON.stringify(answer) } });
    return res.data!.confirmPasskeyEnrolment;
  }

  async function login(): Promise<SessionUser> {
    const client = resolveClient();
    const start = await client.mutate({ mutation: START_LOGIN });
    const optionsJSON = JSON.parse(start.data!.startPasskeyLogin) as Parameters<typeof startAuthentication>[0]['optionsJSON'];
    const answer = await startAuthentication({ optionsJSON });
    const res = await client.mutate({ mutation: VERIFY_LOGIN, variables: { response: JSON.stringify(answer) } });
    return res.data!.verifyPasskeyLogin;
  }

  return { supported: browserSupportsWebAuthn(), enrol, login };
}

/** The browser's dialog was cancelled or timed out (not a server answer). */
export function cancelled(e: unknown): boolean {
  return e instanceof Error && (e.name === 'NotAllowedError' || e.name === 'AbortError');
}
