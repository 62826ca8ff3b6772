import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { StatsQuery } from './stats.service.js';

/*
 * Every type here is an aggregate. None may reference a patient-level type (Patient, Exam,
 * Document, Notification, Share, …) nor carry a name, identifier, birth date or free text:
 * test/security/analyst-schema-graph.spec.ts walks the schema and fails if one does.
 */

export enum StatsGroup {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  YEAR = 'YEAR',
  MODALITY = 'MODALITY',
  FACILITY = 'FACILITY',
}
registerEnumType(StatsGroup, {
  name: 'StatsGroup',
  description: 'A period (one at most; MONTH by default) and dimensions to group figures by',
  valuesConfig: {
    DAY: { description: 'Calendar day (Europe/Paris); ranges of at most 366 days' },
    WEEK: { description: 'ISO week, starting on Monday' },
    MONTH: { description: 'Calendar month' },
    YEAR: { description: 'Calendar year' },
    MODALITY: { description: 'DICOM modality (exams published only); an exam with two modalities counts in both' },
    FACILITY: { description: 'Imaging centre (exams published, time to first opening)' },
  },
});

@InputType({ description: 'Widened to whole periods of the grouping; default: the last 12 months; at most 5 years' })
export class DateRange {
  @Field(() => Date, { nullable: true }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Exclusive' }) to?: Date | null;
}

// simpleResolvers: these are plain data returned by thousands (a year by day and centre): the
// default resolver, without type-graphql's middleware wrapper, keeps serialisation cheap.
@ObjectType({ simpleResolvers: true, description: 'A figure, or null with suppressed: true when it concerns fewer than 5 (or could reveal such a group)' })
export class StatsValue {
  @Field(() => Int, { nullable: true }) value!: number | null;
  @Field(() => Boolean) suppressed!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'An imaging centre, as a statistical dimension' })
export class StatsFacility {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String) finess!: string;
}

@ObjectType({ simpleResolvers: true })
export class ExamsPublishedRow {
  @Field(() => String, { description: 'First day of the period (YYYY-MM-DD)' }) period!: string;
  @Field(() => String, { nullable: true, description: 'When grouped by MODALITY (OT: none given)' }) modality!: string | null;
  @Field(() => StatsFacility, { nullable: true, description: 'When grouped by FACILITY' }) facility!: StatsFacility | null;
  @Field(() => StatsValue) exams!: StatsValue;
}

@ObjectType({ simpleResolvers: true, description: 'Exams published in the period and opened since by a physician; durations in seconds, rounded down to 1 min under 10 min, 5 min under 1 h, 1 h under 1 day, 6 h under 7 days, 1 day under 60 days (60 days and more read as 60 days)' })
export class FirstOpeningRow {
  @Field(() => String) period!: string;
  @Field(() => StatsFacility, { nullable: true }) facility!: StatsFacility | null;
  @Field(() => StatsValue) openedExams!: StatsValue;
  @Field(() => StatsValue) medianSeconds!: StatsValue;
  @Field(() => StatsValue) p90Seconds!: StatsValue;
}

@ObjectType({ simpleResolvers: true, description: 'Notifications created in the period; those read since; median time to read (seconds, same rounding as FirstOpeningRow)' })
export class NotificationStatsRow {
  @Field(() => String) period!: string;
  @Field(() => StatsValue) sent!: StatsValue;
  @Field(() => StatsValue) read!: StatsValue;
  @Field(() => StatsValue) medianSecondsToRead!: StatsValue;
}

@ObjectType({ simpleResolvers: true, description: 'E-mails queued in the period: sent, given up after every retry, and needing more than one attempt' })
export class EmailStatsRow {
  @Field(() => String) period!: string;
  @Field(() => StatsValue) queued!: StatsValue;
  @Field(() => StatsValue) sent!: StatsValue;
  @Field(() => StatsValue) failed!: StatsValue;
  @Field(() => StatsValue) retried!: StatsValue;
}

@ObjectType({ simpleResolvers: true, description: 'Shares created in the period: opened at least once, expired without revocation, revoked; median openings per share' })
export class ShareStatsRow {
  @Field(() => String) period!: string;
  @Field(() => StatsValue) created!: StatsValue;
  @Field(() => StatsValue) opened!: StatsValue;
  @Field(() => StatsValue) expired!: StatsValue;
  @Field(() => StatsValue) revoked!: StatsValue;
  @Field(() => StatsValue) medianOpenings!: StatsValue;
}

@ObjectType({ simpleResolvers: true, description: 'Physicians who signed in or used the portal during the period (each counted once per period)' })
export class ActivePhysiciansRow {
  @Field(() => String) period!: string;
  @Field(() => StatsValue) physicians!: StatsValue;
}

@ObjectType({ description: 'De-identified activity figures (ANALYST, ADMIN). Each list is computed only when asked for.' })
export class Stats {
  @Field(() => String, { description: 'First day covered (YYYY-MM-DD, Europe/Paris)' }) from!: string;
  @Field(() => String, { description: 'First day no longer covered' }) to!: string;
  @Field(() => StatsGroup) period!: StatsGroup;
  @Field(() => [StatsGroup]) groupBy!: StatsGroup[];
  @Field(() => Int, { description: 'Groups smaller than this are suppressed' }) suppressionThreshold!: number;

  query!: StatsQuery;
}
