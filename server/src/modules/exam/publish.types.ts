import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DocumentType, ExamRole } from './exam.entity.js';

// Registering an enum twice under the same name is harmless (type-graphql keys them by object),
// so the physician-facing types may register these too.
registerEnumType(ExamRole, { name: 'ExamRole' });
registerEnumType(DocumentType, { name: 'DocumentType' });

@InputType({
  description:
    "The patient's administrative data exactly as the facility holds it. Text is stored in Unicode NFC with plain spaces; control, " +
    'invisible and bidi formatting characters (U+202E, U+200B…) are refused with BAD_USER_INPUT naming the field; names need a letter (ADR 0097)',
})
export class PublishPatientInput {
  @Field(() => String, { description: "Identifiant permanent du patient: the facility's own patient id" })
  ipp!: string;

  @Field(() => String, { nullable: true, description: 'INS matricule (15-character NIR with its key); matches the patient across facilities' })
  ins?: string | null;

  @Field(() => String) lastName!: string;
  @Field(() => String, { description: 'First name(s)' }) firstName!: string;
  @Field(() => String, { nullable: true }) birthName?: string | null;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' })
  birthDate?: string | null;

  // A string checked by the service rather than the Sex enum, so a facility sending a DICOM
  // PatientSex value we do not know gets an error that names the field.
  @Field(() => String, { nullable: true, description: 'F, M, O (other) or U (unknown), as DICOM PatientSex' })
  sex?: string | null;
  @Field(() => String, { nullable: true }) addressLine?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
}

@InputType()
export class PublishDocumentInput {
  @Field(() => DocumentType) type!: DocumentType;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;

  @Field(() => String, { description: 'IMAGING: the study shown in the viewer. REPORT: the study holding the Encapsulated PDF.' })
  studyInstanceUid!: string;

  @Field(() => String, { nullable: true, description: 'REPORT only: the Encapsulated PDF instance' })
  sopInstanceUid?: string | null;
}

@InputType({ description: 'An exam as the facility publishes it; the instances must have been stored through STOW-RS first' })
export class PublishExamInput {
  @Field(() => PublishPatientInput) patient!: PublishPatientInput;
  @Field(() => String) accessionNumber!: string;
  @Field(() => String) studyInstanceUid!: string;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;

  @Field(() => [String], { defaultValue: [], description: 'DICOM modality codes; empty: those of the stored study' })
  modalities!: string[];

  @Field(() => String) prescriberRpps!: string;
  @Field(() => [String], { defaultValue: [] }) correspondentRpps!: string[];

  @Field(() => Boolean, { defaultValue: false, description: 'Also notify the correspondents (the prescriber always is)' })
  notifyCorrespondents!: boolean;

  @Field(() => [PublishDocumentInput]) documents!: PublishDocumentInput[];
}

@ObjectType({ description: 'A right to see the exam; granted is false while that RPPS has no account' })
export class PublishedRight {
  @Field(() => String) rpps!: string;
  @Field(() => ExamRole) role!: ExamRole;
  @Field(() => Boolean) granted!: boolean;
}

@ObjectType({ description: 'What a facility reads back after publishing: its own exam, never patient-facing data' })
export class PublishedExam {
  @Field(() => ID) id!: string;
  @Field(() => String) accessionNumber!: string;
  @Field(() => String) studyInstanceUid!: string;
  @Field(() => String) title!: string;
  @Field(() => Date) date!: Date;
  @Field(() => Int) documentsCount!: number;
  @Field(() => [PublishedRight]) rights!: PublishedRight[];
}
