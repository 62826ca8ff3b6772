import type { ApolloClient } from '@apollo/client/core';
import { graphql } from '@/gql';
import type { PriorStudy } from './viewer-contract';

/** The viewer's « Examens antérieurs »: the server applies the record's rule (Exam.otherExams). */
export const VIEWER_OTHER_EXAMS = graphql(`
  query ViewerOtherExams($id: ID!) {
    document(id: $id) { id exam { id otherExams { id title date modalities studyInstanceUid } } }
  }
`);

/**
 * The other exams of the patient of document `documentId` that this physician may see, with
 * images, for the viewer's comparison panel; empty when the server says nothing (a failure only
 * leaves the panel empty: the exam on screen is unaffected).
 */
export async function otherExamsOf(apollo: ApolloClient<unknown>, documentId: string): Promise<PriorStudy[]> {
  try {
    const { data } = await apollo.query({ query: VIEWER_OTHER_EXAMS, variables: { id: documentId }, fetchPolicy: 'network-only' });
    return (data.document?.exam.otherExams ?? []).flatMap((e) =>
      e.studyInstanceUid ? [{ studyUid: e.studyInstanceUid, title: e.title, date: String(e.date), modalities: e.modalities.filter((m) => m !== 'DOC') }] : [],
    );
  } catch {
    return [];
  }
}
