import type { ConfirmTotpEnrolmentMutation } from '@/gql/graphql';

/** What enrolling a factor gives back: recovery codes to show once, and the session a held login opened. */
export type EnrolmentResult = ConfirmTotpEnrolmentMutation['confirmTotpEnrolment'];
