/**
 * Root operations an analyst may call besides the public ones (PUBLIC_OPERATIONS): the
 * statistics, their own account preferences and « Mon compte ». Every other operation must refuse an analyst
 * (analyst-denial.spec.ts) and none of these may reach a patient-level type
 * (analyst-schema-graph.spec.ts). Adding a name here is a security decision.
 */
export const ANALYST_OPERATIONS = new Set([
  'Query.stats', 'Mutation.updatePreferences',
  // « Mon compte »: their own password, sessions and second factors (issue 20).
  'Query.mySessions', 'Mutation.endSession', 'Mutation.changePassword', 'Query.accountSecurity',
  'Mutation.startTotpEnrolment', 'Mutation.confirmTotpEnrolment', 'Mutation.regenerateRecoveryCodes', 'Mutation.removeSecondFactor',
  'Mutation.startPasskeyEnrolment', 'Mutation.confirmPasskeyEnrolment',
]);
