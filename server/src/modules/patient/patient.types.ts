import { DateResolver } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Sex } from './patient.entity.js';
import type { PatientSummary, RecordRow } from './patient.service.js';

registerEnumType(Sex, { name: 'Sex', description: 'F, M, O (other) or U (unknown), as the facility sent it' });

@ObjectType({ description: 'A patient with at least one exam for which they named this physician' })
export class Patient {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'First name and last name; names, birth date and sex are those of the newest record I may see' }) displayName!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String, { nullable: true }) birthName!: string | null;
  @Field(() => DateResolver, { nullable: true }) birthDate!: string | null;
  @Field(() => Sex, { nullable: true }) sex!: Sex | null;
  @Field(() => Date, { description: 'Date of the newest exam this physician may see' }) lastExamAt!: Date;
  @Field(() => String) lastExamTitle!: string;
  @Field(() => Boolean, { description: 'Some exam this physician may see has not been opened yet' }) hasUnopened!: boolean;
}

@ObjectType({ description: 'The administrative data exactly as one facility sent it (read-only)' })
export class AdministrativeRecord {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'Identifiant permanent du patient in that facility' }) ipp!: string;
  @Field(() => String, { nullable: true, description: 'Identité nationale de santé' }) ins!: string | null;
  @Field(() => String) lastName!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String, { nullable: true }) birthName!: string | null;
  @Field(() => DateResolver, { nullable: true }) birthDate!: string | null;
  @Field(() => Sex, { nullable: true }) sex!: Sex | null;
  @Field(() => String, { nullable: true }) addressLine!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => Date) receivedAt!: Date;

  facilityId!: string;
}

@InputType()
export class PatientFilter {
  @Field(() => String, { nullable: true, description: 'Prefixes of name parts, any case, with or without accents' })
  name?: string | null;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class PatientEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Patient) node!: Patient;
}

@ObjectType()
export class PatientConnection {
  @Field(() => [PatientEdge]) edges!: PatientEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;

  /** Kept for the totalCount field resolver, which counts only when asked. */
  filterName!: string | null;
}

export const MAX_PAGE_SIZE = 100;

export function toPatient(s: PatientSummary): Patient {
  return {
    id: s.id,
    displayName: `${s.firstName} ${s.lastName}`,
    firstName: s.firstName,
    lastName: s.lastName,
    birthName: s.birthName,
    birthDate: s.birthDate,
    sex: s.sex,
    lastExamAt: s.lastExamAt,
    lastExamTitle: s.lastExamTitle,
    hasUnopened: s.hasUnopened,
  };
}

export function toAdministrativeRecord(r: RecordRow): AdministrativeRecord {
  return {
    id: r.id,
    ipp: r.ipp,
    ins: r.ins,
    lastName: r.lastName,
    firstName: r.firstName,
    birthName: r.birthName,
    birthDate: r.birthDate,
    sex: r.sex,
    addressLine: r.addressLine,
    postalCode: r.postalCode,
    city: r.city,
    phone: r.phone,
    receivedAt: r.receivedAt,
    facilityId: r.facilityId,
  };
}
