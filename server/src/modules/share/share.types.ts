import { DateResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { reportUrlOf } from '../exam/document.service.js';
import { DocumentType } from '../exam/exam.entity.js';
import { Document } from '../exam/exam.types.js';
import { Sex } from '../patient/patient.entity.js';
import { PageInfo } from '../patient/patient.types.js';
import type { SharedDocumentItem as SharedItemRow, SharedDocumentView } from './share-grant.service.js';
import { statusOf, type ShareAccessRow, type ShareRow, type ShareStatus as Status } from './share.service.js';

export enum ShareStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(ShareStatus, { name: 'ShareStatus' });

export enum ShareDeliveryStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ShareDeliveryStatus, {
  name: 'ShareDeliveryStatus',
  description: 'The invitation e-mail: PENDING (not sent yet, retried when the mail server fails), SENT (accepted by the mail server), FAILED (given up after every attempt: the recipient never received the link), CANCELLED (the share was revoked before it left)',
});

export enum ShareDeliveryFailure {
  RECIPIENT_REFUSED = 'RECIPIENT_REFUSED',
  NOT_SENT = 'NOT_SENT',
}
registerEnumType(ShareDeliveryFailure, {
  name: 'ShareDeliveryFailure',
  description: 'Why an invitation FAILED: RECIPIENT_REFUSED (the address was refused: check it and share again), NOT_SENT (the mail could not be sent: share again later)',
});

@ObjectType({ description: 'One attempt to open a share link (guide §5.3: every opening is audited)' })
export class ShareAccess {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String, { description: 'OPENED, EXPIRED or REVOKED' }) outcome!: string;
}

@ObjectType({ description: 'A time-limited link to one document, sent by e-mail to a trusted third party' })
export class Share {
  @Field(() => ID) id!: string;
  @Field(() => Document, { description: 'The document shared (its exam is what the link opens)' }) document!: Document;
  @Field(() => String) recipientEmail!: string;
  @Field(() => String, { nullable: true }) comment!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field(() => ShareStatus) status!: ShareStatus;
  @Field(() => Int, { description: 'Successful openings of the link' }) openCount!: number;
  @Field(() => Date, { nullable: true }) firstOpenedAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastOpenedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Whose exam was shared (as the recipient sees it); null once you no longer may see that exam' })
  patientDisplayName!: string | null;
  @Field(() => ShareDeliveryStatus, { nullable: true, description: 'Where the invitation e-mail stands (null only if its mail record no longer exists)' })
  deliveryStatus!: ShareDeliveryStatus | null;
  @Field(() => ShareDeliveryFailure, { nullable: true, description: 'Set when deliveryStatus is FAILED' })
  deliveryFailure!: ShareDeliveryFailure | null;
}

@ObjectType()
export class ShareEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Share) node!: Share;
}

@ObjectType()
export class ShareConnection {
  @Field(() => [ShareEdge]) edges!: ShareEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType({ description: 'A document of the shared exam, as the share page shows it' })
export class SharedExamDocument {
  @Field(() => ID) id!: string;
  @Field(() => DocumentType) type!: DocumentType;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;
  @Field(() => String, { nullable: true, description: 'REPORT: the PDF URL, authorised by the share grant' }) reportUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'IMAGING: the study the viewer opens' }) studyInstanceUid!: string | null;
}

@ObjectType({
  description:
    'What a share link shows: the shared document, its exam and whose exam it is (name, birth date, sex, as the exam’s imaging centre sent them). ' +
    'The images and reports the grant reads are the centre’s DICOM files, unmodified: they carry the patient’s identity and the centre’s identifiers (ADR 0098).',
})
export class SharedDocument {
  @Field(() => ID) id!: string;
  @Field(() => DocumentType) type!: DocumentType;
  @Field(() => String) title!: string;
  @Field(() => String, { nullable: true }) reportUrl!: string | null;
  @Field(() => String, { nullable: true }) studyInstanceUid!: string | null;
  @Field(() => String) examTitle!: string;
  @Field(() => Date) examDate!: Date;
  @Field(() => String, { description: 'First name and last name: the recipient must know whose exam it is' }) patientDisplayName!: string;
  @Field(() => DateResolver, { nullable: true, description: 'The patient’s birth date, to tell namesakes apart' }) patientBirthDate!: string | null;
  @Field(() => Sex, { nullable: true }) patientSex!: Sex | null;
  @Field(() => String, { description: 'The physician who shared the document, as the invitation e-mail names them' }) sharedBy!: string;
  @Field(() => String, { nullable: true, description: 'The physician’s comment to the recipient' }) comment!: string | null;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => [SharedExamDocument], { description: 'The documents of the shared exam, the shared one first' }) documents!: SharedExamDocument[];
}

export function toShare(row: ShareRow, now = new Date()): Share {
  const status: Status = statusOf(row, now);
  return {
    id: row.id,
    document: {
      id: row.documentId,
      type: row.documentType,
      title: row.documentTitle,
      date: row.documentDate,
      reportUrl: reportUrlOf({ id: row.documentId, type: row.documentType }),
      studyInstanceUid: row.documentType === DocumentType.IMAGING ? row.studyInstanceUid : null,
      examId: row.examId,
    },
    recipientEmail: row.recipientEmail,
    comment: row.comment,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    status: ShareStatus[status],
    openCount: row.openCount,
    firstOpenedAt: row.firstOpenedAt,
    lastOpenedAt: row.lastOpenedAt,
    patientDisplayName: row.patientDisplayName,
    deliveryStatus: row.deliveryStatus && ShareDeliveryStatus[row.deliveryStatus],
    deliveryFailure: row.deliveryFailure && ShareDeliveryFailure[row.deliveryFailure],
  };
}

export function toShareAccess(row: ShareAccessRow): ShareAccess {
  return { id: row.id, at: row.at, outcome: row.outcome };
}

function toSharedItem(d: SharedItemRow): SharedExamDocument {
  return { id: d.id, type: d.type, title: d.title, date: d.date, reportUrl: d.reportUrl, studyInstanceUid: d.studyInstanceUid };
}

export function toSharedDocument(v: SharedDocumentView): SharedDocument {
  return {
    ...toSharedItem(v.document),
    examTitle: v.examTitle,
    examDate: v.examDate,
    patientDisplayName: `${v.patient.firstName} ${v.patient.lastName}`,
    patientBirthDate: v.patient.birthDate,
    patientSex: v.patient.sex,
    sharedBy: v.sharedBy,
    comment: v.comment,
    expiresAt: v.expiresAt,
    documents: v.documents.map(toSharedItem),
  };
}
