/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": typeof types.MeDocument,
    "query MySessions { mySessions { id device ip createdAt lastSeenAt current } }": typeof types.MySessionsDocument,
    "mutation EndSession($id: ID!) { endSession(id: $id) }": typeof types.EndSessionDocument,
    "\n  mutation ChangePassword($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }\n": typeof types.ChangePasswordDocument,
    "\n  query AccountSecurity { accountSecurity { factors { id kind label createdAt lastUsedAt } recoveryCodesLeft secondFactorRequired } }\n": typeof types.AccountSecurityDocument,
    "mutation RemoveSecondFactor($id: ID!, $password: String!) { removeSecondFactor(id: $id, password: $password) }": typeof types.RemoveSecondFactorDocument,
    "mutation RegenerateRecoveryCodes($password: String!) { regenerateRecoveryCodes(password: $password) }": typeof types.RegenerateRecoveryCodesDocument,
    "mutation StartTotpEnrolment { startTotpEnrolment { secret qrCodeDataUrl } }": typeof types.StartTotpEnrolmentDocument,
    "\n  mutation ConfirmTotpEnrolment($code: String!) {\n    confirmTotpEnrolment(code: $code) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n": typeof types.ConfirmTotpEnrolmentDocument,
    "mutation StartPasskeyEnrolment { startPasskeyEnrolment }": typeof types.StartPasskeyEnrolmentDocument,
    "\n  mutation ConfirmPasskeyEnrolment($response: String!) {\n    confirmPasskeyEnrolment(response: $response) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n": typeof types.ConfirmPasskeyEnrolmentDocument,
    "mutation StartPasskeyLogin { startPasskeyLogin }": typeof types.StartPasskeyLoginDocument,
    "\n  mutation VerifyPasskeyLogin($response: String!) {\n    verifyPasskeyLogin(response: $response) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": typeof types.VerifyPasskeyLoginDocument,
    "\n  query AccountRequests {\n    accountRequests { id firstName lastName email rpps phone status rejectionReason createdAt decidedAt }\n  }\n": typeof types.AccountRequestsDocument,
    "\n  mutation ApproveAccountRequest($id: ID!) { approveAccountRequest(id: $id) { id status decidedAt rejectionReason } }\n": typeof types.ApproveAccountRequestDocument,
    "\n  mutation RejectAccountRequest($id: ID!, $reason: String) { rejectAccountRequest(id: $id, reason: $reason) { id status decidedAt rejectionReason } }\n": typeof types.RejectAccountRequestDocument,
    "\n  query AdminUsers($role: Role, $search: String) {\n    users(role: $role, search: $search) { id email firstName lastName role rpps status lockedUntil createdAt activatedAt secondFactor }\n  }\n": typeof types.AdminUsersDocument,
    "mutation UnlockUser($id: ID!) { unlockUser(id: $id) { id lockedUntil } }": typeof types.UnlockUserDocument,
    "mutation DisableUser($id: ID!) { disableUser(id: $id) { id status } }": typeof types.DisableUserDocument,
    "mutation EnableUser($id: ID!) { enableUser(id: $id) { id status lockedUntil } }": typeof types.EnableUserDocument,
    "mutation ResetSecondFactor($id: ID!) { resetSecondFactor(id: $id) { id secondFactor } }": typeof types.ResetSecondFactorDocument,
    "\n  query AuditTrail($patientId: ID, $userId: ID, $first: Int!, $after: String) {\n    auditEvents(patientId: $patientId, userId: $userId, first: $first, after: $after) {\n      edges { cursor node { id action actorKind actorUserId actorEmail targetUserId targetEmail facilityId facilityName patientId examId documentId shareId outcome ip at } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AuditTrailDocument,
    "\n  query Facilities {\n    facilities { id name finess createdAt apiKeys { id prefix createdAt lastUsedAt revokedAt } }\n  }\n": typeof types.FacilitiesDocument,
    "\n  mutation CreateFacility($name: String!, $finess: String!) { createFacility(name: $name, finess: $finess) { id name } }\n": typeof types.CreateFacilityDocument,
    "\n  mutation CreateApiKey($facilityId: ID!) { createApiKey(facilityId: $facilityId) { key apiKey { id prefix } } }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": typeof types.RevokeApiKeyDocument,
    "\n  mutation RequestAccount($input: AccountRequestInput!) { requestAccount(input: $input) }\n": typeof types.RequestAccountDocument,
    "\n  mutation ActivateAccount($token: String!, $password: String!) { activateAccount(token: $token, password: $password) }\n": typeof types.ActivateAccountDocument,
    "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n": typeof types.RequestPasswordResetDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": typeof types.LoginDocument,
    "\n  mutation ResetPassword($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }\n": typeof types.ResetPasswordDocument,
    "\n  mutation VerifySecondFactor($code: String!) {\n    verifySecondFactor(code: $code) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": typeof types.VerifySecondFactorDocument,
    "\n  query DashboardPatients($name: String, $first: Int!, $after: String) {\n    patients(filter: { name: $name }, first: $first, after: $after) {\n      edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.DashboardPatientsDocument,
    "\n  subscription DashboardExamAdded {\n    notificationAdded { id kind patient { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n  }\n": typeof types.DashboardExamAddedDocument,
    "\n  mutation DocumentViewOpened($id: ID!) {\n    markDocumentOpened(documentId: $id) { id exam { id opened } }\n  }\n": typeof types.DocumentViewOpenedDocument,
    "\n  query DocumentView($id: ID!) {\n    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }\n  }\n": typeof types.DocumentViewDocument,
    "\n  fragment DocumentKind on Document { id type studyInstanceUid }\n": typeof types.DocumentKindFragmentDoc,
    "\n  mutation OpenNotification($id: ID!) {\n    markNotificationRead(id: $id) { id readAt exam { id } patient { id } }\n  }\n": typeof types.OpenNotificationDocument,
    "\n  fragment NotificationItem on Notification {\n    id\n    kind\n    createdAt\n    readAt\n    exam { id title date }\n    patient { id displayName }\n  }\n": typeof types.NotificationItemFragmentDoc,
    "\n  query BellNotifications($first: Int!, $after: String) {\n    notifications(first: $first, after: $after) {\n      unreadCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...NotificationItem } }\n    }\n  }\n": typeof types.BellNotificationsDocument,
    "\n  query BellUnreadCount { unreadNotificationCount }\n": typeof types.BellUnreadCountDocument,
    "\n  subscription BellUnreadCountLive { unreadNotificationCount }\n": typeof types.BellUnreadCountLiveDocument,
    "\n  subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { ...NotificationItem cursor } }\n": typeof types.BellNotificationAddedDocument,
    "\n  mutation BellMarkRead($id: ID!) { markNotificationRead(id: $id) { id readAt } }\n": typeof types.BellMarkReadDocument,
    "\n  mutation BellMarkAllRead { markAllNotificationsRead }\n": typeof types.BellMarkAllReadDocument,
    "\n  query PatientBanner($id: ID!) {\n    patient(id: $id) {\n      id lastName firstName birthName birthDate sex\n      records { id ipp facility { id name } }\n      exams { id facility { id } }\n    }\n  }\n": typeof types.PatientBannerDocument,
    "\n  query PatientRecord($id: ID!) {\n    patient(id: $id) {\n      id displayName\n      records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }\n      exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } }\n    }\n  }\n": typeof types.PatientRecordDocument,
    "\n  mutation UpdateEmailNotifications($on: Boolean!) {\n    updatePreferences(input: { emailNotifications: $on }) {\n      id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds\n    }\n  }\n": typeof types.UpdateEmailNotificationsDocument,
    "\n  mutation ShareDocument($documentId: ID!, $email: String!, $comment: String) {\n    shareDocument(documentId: $documentId, email: $email, comment: $comment) {\n      id recipientEmail expiresAt status\n    }\n  }\n": typeof types.ShareDocumentDocument,
    "\n  query MyShares($first: Int!, $after: String) {\n    myShares(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id recipientEmail comment createdAt expiresAt revokedAt status openCount lastOpenedAt deliveryStatus deliveryFailure patientDisplayName\n          document { id type title }\n          accesses { id at outcome }\n        }\n      }\n    }\n  }\n": typeof types.MySharesDocument,
    "\n  mutation RevokeShare($id: ID!) {\n    revokeShare(id: $id) { id status revokedAt }\n  }\n": typeof types.RevokeShareDocument,
    "\n  query ViewerOtherExams($id: ID!) {\n    document(id: $id) { id exam { id otherExams { id title date modalities studyInstanceUid } } }\n  }\n": typeof types.ViewerOtherExamsDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": types.MeDocument,
    "query MySessions { mySessions { id device ip createdAt lastSeenAt current } }": types.MySessionsDocument,
    "mutation EndSession($id: ID!) { endSession(id: $id) }": types.EndSessionDocument,
    "\n  mutation ChangePassword($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }\n": types.ChangePasswordDocument,
    "\n  query AccountSecurity { accountSecurity { factors { id kind label createdAt lastUsedAt } recoveryCodesLeft secondFactorRequired } }\n": types.AccountSecurityDocument,
    "mutation RemoveSecondFactor($id: ID!, $password: String!) { removeSecondFactor(id: $id, password: $password) }": types.RemoveSecondFactorDocument,
    "mutation RegenerateRecoveryCodes($password: String!) { regenerateRecoveryCodes(password: $password) }": types.RegenerateRecoveryCodesDocument,
    "mutation StartTotpEnrolment { startTotpEnrolment { secret qrCodeDataUrl } }": types.StartTotpEnrolmentDocument,
    "\n  mutation ConfirmTotpEnrolment($code: String!) {\n    confirmTotpEnrolment(code: $code) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n": types.ConfirmTotpEnrolmentDocument,
    "mutation StartPasskeyEnrolment { startPasskeyEnrolment }": types.StartPasskeyEnrolmentDocument,
    "\n  mutation ConfirmPasskeyEnrolment($response: String!) {\n    confirmPasskeyEnrolment(response: $response) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n": types.ConfirmPasskeyEnrolmentDocument,
    "mutation StartPasskeyLogin { startPasskeyLogin }": types.StartPasskeyLoginDocument,
    "\n  mutation VerifyPasskeyLogin($response: String!) {\n    verifyPasskeyLogin(response: $response) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": types.VerifyPasskeyLoginDocument,
    "\n  query AccountRequests {\n    accountRequests { id firstName lastName email rpps phone status rejectionReason createdAt decidedAt }\n  }\n": types.AccountRequestsDocument,
    "\n  mutation ApproveAccountRequest($id: ID!) { approveAccountRequest(id: $id) { id status decidedAt rejectionReason } }\n": types.ApproveAccountRequestDocument,
    "\n  mutation RejectAccountRequest($id: ID!, $reason: String) { rejectAccountRequest(id: $id, reason: $reason) { id status decidedAt rejectionReason } }\n": types.RejectAccountRequestDocument,
    "\n  query AdminUsers($role: Role, $search: String) {\n    users(role: $role, search: $search) { id email firstName lastName role rpps status lockedUntil createdAt activatedAt secondFactor }\n  }\n": types.AdminUsersDocument,
    "mutation UnlockUser($id: ID!) { unlockUser(id: $id) { id lockedUntil } }": types.UnlockUserDocument,
    "mutation DisableUser($id: ID!) { disableUser(id: $id) { id status } }": types.DisableUserDocument,
    "mutation EnableUser($id: ID!) { enableUser(id: $id) { id status lockedUntil } }": types.EnableUserDocument,
    "mutation ResetSecondFactor($id: ID!) { resetSecondFactor(id: $id) { id secondFactor } }": types.ResetSecondFactorDocument,
    "\n  query AuditTrail($patientId: ID, $userId: ID, $first: Int!, $after: String) {\n    auditEvents(patientId: $patientId, userId: $userId, first: $first, after: $after) {\n      edges { cursor node { id action actorKind actorUserId actorEmail targetUserId targetEmail facilityId facilityName patientId examId documentId shareId outcome ip at } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AuditTrailDocument,
    "\n  query Facilities {\n    facilities { id name finess createdAt apiKeys { id prefix createdAt lastUsedAt revokedAt } }\n  }\n": types.FacilitiesDocument,
    "\n  mutation CreateFacility($name: String!, $finess: String!) { createFacility(name: $name, finess: $finess) { id name } }\n": types.CreateFacilityDocument,
    "\n  mutation CreateApiKey($facilityId: ID!) { createApiKey(facilityId: $facilityId) { key apiKey { id prefix } } }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": types.RevokeApiKeyDocument,
    "\n  mutation RequestAccount($input: AccountRequestInput!) { requestAccount(input: $input) }\n": types.RequestAccountDocument,
    "\n  mutation ActivateAccount($token: String!, $password: String!) { activateAccount(token: $token, password: $password) }\n": types.ActivateAccountDocument,
    "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n": types.RequestPasswordResetDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": types.LoginDocument,
    "\n  mutation ResetPassword($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }\n": types.ResetPasswordDocument,
    "\n  mutation VerifySecondFactor($code: String!) {\n    verifySecondFactor(code: $code) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n": types.VerifySecondFactorDocument,
    "\n  query DashboardPatients($name: String, $first: Int!, $after: String) {\n    patients(filter: { name: $name }, first: $first, after: $after) {\n      edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.DashboardPatientsDocument,
    "\n  subscription DashboardExamAdded {\n    notificationAdded { id kind patient { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n  }\n": types.DashboardExamAddedDocument,
    "\n  mutation DocumentViewOpened($id: ID!) {\n    markDocumentOpened(documentId: $id) { id exam { id opened } }\n  }\n": types.DocumentViewOpenedDocument,
    "\n  query DocumentView($id: ID!) {\n    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }\n  }\n": types.DocumentViewDocument,
    "\n  fragment DocumentKind on Document { id type studyInstanceUid }\n": types.DocumentKindFragmentDoc,
    "\n  mutation OpenNotification($id: ID!) {\n    markNotificationRead(id: $id) { id readAt exam { id } patient { id } }\n  }\n": types.OpenNotificationDocument,
    "\n  fragment NotificationItem on Notification {\n    id\n    kind\n    createdAt\n    readAt\n    exam { id title date }\n    patient { id displayName }\n  }\n": types.NotificationItemFragmentDoc,
    "\n  query BellNotifications($first: Int!, $after: String) {\n    notifications(first: $first, after: $after) {\n      unreadCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...NotificationItem } }\n    }\n  }\n": types.BellNotificationsDocument,
    "\n  query BellUnreadCount { unreadNotificationCount }\n": types.BellUnreadCountDocument,
    "\n  subscription BellUnreadCountLive { unreadNotificationCount }\n": types.BellUnreadCountLiveDocument,
    "\n  subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { ...NotificationItem cursor } }\n": types.BellNotificationAddedDocument,
    "\n  mutation BellMarkRead($id: ID!) { markNotificationRead(id: $id) { id readAt } }\n": types.BellMarkReadDocument,
    "\n  mutation BellMarkAllRead { markAllNotificationsRead }\n": types.BellMarkAllReadDocument,
    "\n  query PatientBanner($id: ID!) {\n    patient(id: $id) {\n      id lastName firstName birthName birthDate sex\n      records { id ipp facility { id name } }\n      exams { id facility { id } }\n    }\n  }\n": types.PatientBannerDocument,
    "\n  query PatientRecord($id: ID!) {\n    patient(id: $id) {\n      id displayName\n      records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }\n      exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } }\n    }\n  }\n": types.PatientRecordDocument,
    "\n  mutation UpdateEmailNotifications($on: Boolean!) {\n    updatePreferences(input: { emailNotifications: $on }) {\n      id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds\n    }\n  }\n": types.UpdateEmailNotificationsDocument,
    "\n  mutation ShareDocument($documentId: ID!, $email: String!, $comment: String) {\n    shareDocument(documentId: $documentId, email: $email, comment: $comment) {\n      id recipientEmail expiresAt status\n    }\n  }\n": types.ShareDocumentDocument,
    "\n  query MyShares($first: Int!, $after: String) {\n    myShares(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id recipientEmail comment createdAt expiresAt revokedAt status openCount lastOpenedAt deliveryStatus deliveryFailure patientDisplayName\n          document { id type title }\n          accesses { id at outcome }\n        }\n      }\n    }\n  }\n": types.MySharesDocument,
    "\n  mutation RevokeShare($id: ID!) {\n    revokeShare(id: $id) { id status revokedAt }\n  }\n": types.RevokeShareDocument,
    "\n  query ViewerOtherExams($id: ID!) {\n    document(id: $id) { id exam { id otherExams { id title date modalities studyInstanceUid } } }\n  }\n": types.ViewerOtherExamsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"): (typeof documents)["\n  query Me {\n    me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MySessions { mySessions { id device ip createdAt lastSeenAt current } }"): (typeof documents)["query MySessions { mySessions { id device ip createdAt lastSeenAt current } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation EndSession($id: ID!) { endSession(id: $id) }"): (typeof documents)["mutation EndSession($id: ID!) { endSession(id: $id) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }\n"): (typeof documents)["\n  mutation ChangePassword($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountSecurity { accountSecurity { factors { id kind label createdAt lastUsedAt } recoveryCodesLeft secondFactorRequired } }\n"): (typeof documents)["\n  query AccountSecurity { accountSecurity { factors { id kind label createdAt lastUsedAt } recoveryCodesLeft secondFactorRequired } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveSecondFactor($id: ID!, $password: String!) { removeSecondFactor(id: $id, password: $password) }"): (typeof documents)["mutation RemoveSecondFactor($id: ID!, $password: String!) { removeSecondFactor(id: $id, password: $password) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RegenerateRecoveryCodes($password: String!) { regenerateRecoveryCodes(password: $password) }"): (typeof documents)["mutation RegenerateRecoveryCodes($password: String!) { regenerateRecoveryCodes(password: $password) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartTotpEnrolment { startTotpEnrolment { secret qrCodeDataUrl } }"): (typeof documents)["mutation StartTotpEnrolment { startTotpEnrolment { secret qrCodeDataUrl } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmTotpEnrolment($code: String!) {\n    confirmTotpEnrolment(code: $code) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n"): (typeof documents)["\n  mutation ConfirmTotpEnrolment($code: String!) {\n    confirmTotpEnrolment(code: $code) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartPasskeyEnrolment { startPasskeyEnrolment }"): (typeof documents)["mutation StartPasskeyEnrolment { startPasskeyEnrolment }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmPasskeyEnrolment($response: String!) {\n    confirmPasskeyEnrolment(response: $response) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n"): (typeof documents)["\n  mutation ConfirmPasskeyEnrolment($response: String!) {\n    confirmPasskeyEnrolment(response: $response) {\n      recoveryCodes\n      me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartPasskeyLogin { startPasskeyLogin }"): (typeof documents)["mutation StartPasskeyLogin { startPasskeyLogin }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation VerifyPasskeyLogin($response: String!) {\n    verifyPasskeyLogin(response: $response) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"): (typeof documents)["\n  mutation VerifyPasskeyLogin($response: String!) {\n    verifyPasskeyLogin(response: $response) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountRequests {\n    accountRequests { id firstName lastName email rpps phone status rejectionReason createdAt decidedAt }\n  }\n"): (typeof documents)["\n  query AccountRequests {\n    accountRequests { id firstName lastName email rpps phone status rejectionReason createdAt decidedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ApproveAccountRequest($id: ID!) { approveAccountRequest(id: $id) { id status decidedAt rejectionReason } }\n"): (typeof documents)["\n  mutation ApproveAccountRequest($id: ID!) { approveAccountRequest(id: $id) { id status decidedAt rejectionReason } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RejectAccountRequest($id: ID!, $reason: String) { rejectAccountRequest(id: $id, reason: $reason) { id status decidedAt rejectionReason } }\n"): (typeof documents)["\n  mutation RejectAccountRequest($id: ID!, $reason: String) { rejectAccountRequest(id: $id, reason: $reason) { id status decidedAt rejectionReason } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUsers($role: Role, $search: String) {\n    users(role: $role, search: $search) { id email firstName lastName role rpps status lockedUntil createdAt activatedAt secondFactor }\n  }\n"): (typeof documents)["\n  query AdminUsers($role: Role, $search: String) {\n    users(role: $role, search: $search) { id email firstName lastName role rpps status lockedUntil createdAt activatedAt secondFactor }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UnlockUser($id: ID!) { unlockUser(id: $id) { id lockedUntil } }"): (typeof documents)["mutation UnlockUser($id: ID!) { unlockUser(id: $id) { id lockedUntil } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DisableUser($id: ID!) { disableUser(id: $id) { id status } }"): (typeof documents)["mutation DisableUser($id: ID!) { disableUser(id: $id) { id status } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation EnableUser($id: ID!) { enableUser(id: $id) { id status lockedUntil } }"): (typeof documents)["mutation EnableUser($id: ID!) { enableUser(id: $id) { id status lockedUntil } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResetSecondFactor($id: ID!) { resetSecondFactor(id: $id) { id secondFactor } }"): (typeof documents)["mutation ResetSecondFactor($id: ID!) { resetSecondFactor(id: $id) { id secondFactor } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditTrail($patientId: ID, $userId: ID, $first: Int!, $after: String) {\n    auditEvents(patientId: $patientId, userId: $userId, first: $first, after: $after) {\n      edges { cursor node { id action actorKind actorUserId actorEmail targetUserId targetEmail facilityId facilityName patientId examId documentId shareId outcome ip at } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AuditTrail($patientId: ID, $userId: ID, $first: Int!, $after: String) {\n    auditEvents(patientId: $patientId, userId: $userId, first: $first, after: $after) {\n      edges { cursor node { id action actorKind actorUserId actorEmail targetUserId targetEmail facilityId facilityName patientId examId documentId shareId outcome ip at } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Facilities {\n    facilities { id name finess createdAt apiKeys { id prefix createdAt lastUsedAt revokedAt } }\n  }\n"): (typeof documents)["\n  query Facilities {\n    facilities { id name finess createdAt apiKeys { id prefix createdAt lastUsedAt revokedAt } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateFacility($name: String!, $finess: String!) { createFacility(name: $name, finess: $finess) { id name } }\n"): (typeof documents)["\n  mutation CreateFacility($name: String!, $finess: String!) { createFacility(name: $name, finess: $finess) { id name } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($facilityId: ID!) { createApiKey(facilityId: $facilityId) { key apiKey { id prefix } } }\n"): (typeof documents)["\n  mutation CreateApiKey($facilityId: ID!) { createApiKey(facilityId: $facilityId) { key apiKey { id prefix } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n"): (typeof documents)["\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestAccount($input: AccountRequestInput!) { requestAccount(input: $input) }\n"): (typeof documents)["\n  mutation RequestAccount($input: AccountRequestInput!) { requestAccount(input: $input) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ActivateAccount($token: String!, $password: String!) { activateAccount(token: $token, password: $password) }\n"): (typeof documents)["\n  mutation ActivateAccount($token: String!, $password: String!) { activateAccount(token: $token, password: $password) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n"): (typeof documents)["\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetPassword($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }\n"): (typeof documents)["\n  mutation ResetPassword($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation VerifySecondFactor($code: String!) {\n    verifySecondFactor(code: $code) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"): (typeof documents)["\n  mutation VerifySecondFactor($code: String!) {\n    verifySecondFactor(code: $code) { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardPatients($name: String, $first: Int!, $after: String) {\n    patients(filter: { name: $name }, first: $first, after: $after) {\n      edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query DashboardPatients($name: String, $first: Int!, $after: String) {\n    patients(filter: { name: $name }, first: $first, after: $after) {\n      edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardExamAdded {\n    notificationAdded { id kind patient { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n  }\n"): (typeof documents)["\n  subscription DashboardExamAdded {\n    notificationAdded { id kind patient { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DocumentViewOpened($id: ID!) {\n    markDocumentOpened(documentId: $id) { id exam { id opened } }\n  }\n"): (typeof documents)["\n  mutation DocumentViewOpened($id: ID!) {\n    markDocumentOpened(documentId: $id) { id exam { id opened } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DocumentView($id: ID!) {\n    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }\n  }\n"): (typeof documents)["\n  query DocumentView($id: ID!) {\n    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DocumentKind on Document { id type studyInstanceUid }\n"): (typeof documents)["\n  fragment DocumentKind on Document { id type studyInstanceUid }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OpenNotification($id: ID!) {\n    markNotificationRead(id: $id) { id readAt exam { id } patient { id } }\n  }\n"): (typeof documents)["\n  mutation OpenNotification($id: ID!) {\n    markNotificationRead(id: $id) { id readAt exam { id } patient { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationItem on Notification {\n    id\n    kind\n    createdAt\n    readAt\n    exam { id title date }\n    patient { id displayName }\n  }\n"): (typeof documents)["\n  fragment NotificationItem on Notification {\n    id\n    kind\n    createdAt\n    readAt\n    exam { id title date }\n    patient { id displayName }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BellNotifications($first: Int!, $after: String) {\n    notifications(first: $first, after: $after) {\n      unreadCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...NotificationItem } }\n    }\n  }\n"): (typeof documents)["\n  query BellNotifications($first: Int!, $after: String) {\n    notifications(first: $first, after: $after) {\n      unreadCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...NotificationItem } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BellUnreadCount { unreadNotificationCount }\n"): (typeof documents)["\n  query BellUnreadCount { unreadNotificationCount }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BellUnreadCountLive { unreadNotificationCount }\n"): (typeof documents)["\n  subscription BellUnreadCountLive { unreadNotificationCount }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { ...NotificationItem cursor } }\n"): (typeof documents)["\n  subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { ...NotificationItem cursor } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BellMarkRead($id: ID!) { markNotificationRead(id: $id) { id readAt } }\n"): (typeof documents)["\n  mutation BellMarkRead($id: ID!) { markNotificationRead(id: $id) { id readAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BellMarkAllRead { markAllNotificationsRead }\n"): (typeof documents)["\n  mutation BellMarkAllRead { markAllNotificationsRead }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PatientBanner($id: ID!) {\n    patient(id: $id) {\n      id lastName firstName birthName birthDate sex\n      records { id ipp facility { id name } }\n      exams { id facility { id } }\n    }\n  }\n"): (typeof documents)["\n  query PatientBanner($id: ID!) {\n    patient(id: $id) {\n      id lastName firstName birthName birthDate sex\n      records { id ipp facility { id name } }\n      exams { id facility { id } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PatientRecord($id: ID!) {\n    patient(id: $id) {\n      id displayName\n      records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }\n      exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } }\n    }\n  }\n"): (typeof documents)["\n  query PatientRecord($id: ID!) {\n    patient(id: $id) {\n      id displayName\n      records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }\n      exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateEmailNotifications($on: Boolean!) {\n    updatePreferences(input: { emailNotifications: $on }) {\n      id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateEmailNotifications($on: Boolean!) {\n    updatePreferences(input: { emailNotifications: $on }) {\n      id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ShareDocument($documentId: ID!, $email: String!, $comment: String) {\n    shareDocument(documentId: $documentId, email: $email, comment: $comment) {\n      id recipientEmail expiresAt status\n    }\n  }\n"): (typeof documents)["\n  mutation ShareDocument($documentId: ID!, $email: String!, $comment: String) {\n    shareDocument(documentId: $documentId, email: $email, comment: $comment) {\n      id recipientEmail expiresAt status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyShares($first: Int!, $after: String) {\n    myShares(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id recipientEmail comment createdAt expiresAt revokedAt status openCount lastOpenedAt deliveryStatus deliveryFailure patientDisplayName\n          document { id type title }\n          accesses { id at outcome }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyShares($first: Int!, $after: String) {\n    myShares(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id recipientEmail comment createdAt expiresAt revokedAt status openCount lastOpenedAt deliveryStatus deliveryFailure patientDisplayName\n          document { id type title }\n          accesses { id at outcome }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeShare($id: ID!) {\n    revokeShare(id: $id) { id status revokedAt }\n  }\n"): (typeof documents)["\n  mutation RevokeShare($id: ID!) {\n    revokeShare(id: $id) { id status revokedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ViewerOtherExams($id: ID!) {\n    document(id: $id) { id exam { id otherExams { id title date modalities studyInstanceUid } } }\n  }\n"): (typeof documents)["\n  query ViewerOtherExams($id: ID!) {\n    document(id: $id) { id exam { id otherExams { id title date modalities studyInstanceUid } } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;