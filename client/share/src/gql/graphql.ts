/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type DocumentType =
  | 'IMAGING'
  | 'REPORT';

/** F, M, O (other) or U (unknown), as the facility sent it */
export type Sex =
  | 'F'
  | 'M'
  | 'O'
  | 'U';

export type SharedDocumentQueryVariables = Exact<{ [key: string]: never; }>;


export type SharedDocumentQuery = { sharedDocument: { id: string, type: DocumentType, title: string, examTitle: string, examDate: string, patientDisplayName: string, patientBirthDate: string | null, patientSex: Sex | null, sharedBy: string, comment: string | null, expiresAt: string, documents: Array<{ id: string, type: DocumentType, title: string, date: string, reportUrl: string | null, studyInstanceUid: string | null }> } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const SharedDocumentDocument = new TypedDocumentString(`
    query SharedDocument {
  sharedDocument {
    id
    type
    title
    examTitle
    examDate
    patientDisplayName
    patientBirthDate
    patientSex
    sharedBy
    comment
    expiresAt
    documents {
      id
      type
      title
      date
      reportUrl
      studyInstanceUid
    }
  }
}
    `) as unknown as TypedDocumentString<SharedDocumentQuery, SharedDocumentQueryVariables>;