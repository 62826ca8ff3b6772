import { graphql } from '@/gql';

export const SHARE_DOCUMENT = graphql(`
  mutation ShareDocument($documentId: ID!, $email: String!, $comment: String) {
    shareDocument(documentId: $documentId, email: $email, comment: $comment) {
      id recipientEmail expiresAt status
    }
  }
`);

export const MY_SHARES = graphql(`
  query MyShares($first: Int!, $after: String) {
    myShares(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id recipientEmail comment createdAt expiresAt revokedAt status openCount lastOpenedAt deliveryStatus deliveryFailure patientDisplayName
          document { id type title }
          accesses { id at outcome }
        }
      }
    }
  }
`);

export const REVOKE_SHARE = graphql(`
  mutation RevokeShare($id: ID!) {
    revokeShare(id: $id) { id status revokedAt }
  }
`);

/** The field a BAD_USER_INPUT error names, to show the message next to it. */
export function badInputField(error: unknown): string | null {
  const errors = (error as { graphQLErrors?: Array<{ extensions?: { code?: string; field?: string } }> } | null)?.graphQLErrors ?? [];
  const bad = errors.find((e) => e.extensions?.code === 'BAD_USER_INPUT');
  return bad ? (bad.extensions?.field ?? 'email') : null;
}

export function errorCodeOf(error: unknown): string | null {
  const errors = (error as { graphQLErrors?: Array<{ extensions?: { code?: string } }> } | null)?.graphQLErrors ?? [];
  return errors[0]?.extensions?.code ?? null;
}
