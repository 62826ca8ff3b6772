import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { reportUrlOf, type DocumentRow } from './document.service.js';
import { DocumentType, ExamRole } from './exam.entity.js';
import type { VisibleExamRow } from './exam.service.js';

registerEnumType(ExamRole, { name: 'ExamRole', description: 'Why the physician sees the exam: the patient named them so' });
registerEnumType(DocumentType, { name: 'DocumentType' });

@ObjectType({ description: 'An imaging centre (structure productrice d’imagerie)' })
export class Facility {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'FINESS number' }) finess!: string;
}

@ObjectType({ description: 'An exam the patient named this physician for (documents and facility resolve through loaders)' })
export class Exam {
  @Field(() => ID) id!: string;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;
  @Field(() => [String]) modalities!: string[];
  @Field(() => String, { nullable: true }) studyInstanceUid!: string | null;
  @Field(() => ExamRole, { description: 'PRESCRIBER when the physician holds both roles' }) myRole!: ExamRole;
  @Field(() => Boolean, { description: 'Whether this physician has opened one of its documents' }) opened!: boolean;
  @Field(() => ID, { description: 'The patient record this exam belongs to' }) patientId!: string;

  facilityId!: string;
}

@ObjectType({ description: 'A line of the results table: a report (PDF) or an imaging study' })
export class Document {
  @Field(() => ID) id!: string;
  @Field(() => DocumentType) type!: DocumentType;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;
  @Field(() => String, { nullable: true, description: 'REPORT: the authorised URL of the PDF (session cookie)' }) reportUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'IMAGING: the study the viewer opens' }) studyInstanceUid!: string | null;

  examId!: string;
}

export function toExam(row: VisibleExamRow): Exam {
  return {
    id: row.id,
    title: row.title,
    date: row.date,
    modalities: row.modalities,
    studyInstanceUid: row.studyInstanceUid,
    myRole: row.myRole,
    opened: row.opened,
    patientId: row.patientId,
    facilityId: row.facilityId,
  };
}

export function toDocument(row: DocumentRow): Document {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    date: row.date,
    reportUrl: reportUrlOf(row),
    studyInstanceUid: row.type === DocumentType.IMAGING ? row.studyInstanceUid : null,
    examId: row.examId,
  };
}
