import type { NonEmptyArray } from 'type-graphql';
import { AuthResolver } from '../modules/auth/auth.resolver.js';
import { StatsResolver } from '../modules/stats/stats.resolver.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { DocumentResolver, ExamResolver } from '../modules/exam/exam.resolver.js';
import { AdministrativeRecordResolver, PatientConnectionResolver, PatientResolver } from '../modules/patient/patient.resolver.js';
import { PublishResolver } from '../modules/exam/publish.resolver.js';
import { NotificationResolver } from '../modules/notification/notification.resolver.js';
import { ShareResolver } from '../modules/share/share.resolver.js';
import { FacilityAdminResolver } from '../modules/facility/facility.resolver.js';
import { AccountAdminResolver } from '../modules/auth/account.resolver.js';
import { AccountSelfResolver } from '../modules/auth/account/account.resolver.js';

/** Every resolver of the schema; each domain module adds its own here. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [AuthResolver, PublishResolver,
  PatientResolver, PatientConnectionResolver, AdministrativeRecordResolver, ExamResolver, DocumentResolver, AuditResolver,
  NotificationResolver, StatsResolver, ShareResolver, FacilityAdminResolver, AccountAdminResolver, AccountSelfResolver];
