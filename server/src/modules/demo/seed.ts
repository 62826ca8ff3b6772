import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { forkEm } from '../../bootstrap.js';
import type { Config } from '../../config.js';
import { createUser } from '../auth/auth.service.js';
import { Role, User } from '../auth/user.entity.js';
import { Exam } from '../exam/exam.entity.js';
import { ApiKey, Facility } from '../facility/facility.entity.js';
import { createApiKey, createFacility } from '../facility/facility.service.js';
import { FacilityClient, type PublishExamRequest } from './facility-client.js';
import { buildDemoDataset, type DemoExam } from './generator/index.js';
import { FACILITIES, PHYSICIANS } from './generator/people.js';

export interface DemoAccount {
  role: Role;
  email: string;
  password: string;
  name: string;
}

/** Demo credentials, printed at start-up on a demo install. Never created when SEED_DEMO=false. */
export const DEMO_PASSWORD = 'Demo-e-mage-2026';

const loginOf = (firstName: string, lastName: string): string =>
  `${firstName}.${lastName}`.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace(/[^a-z.]/g, '') + '@demo.e-mage.fr';

/**
 * The demo physicians are the generator's physicians who have an account, with the same RPPS, so
 * the exams the demo facilities publish for those RPPS are granted to these logins.
 */
export const demoAccounts = (): Array<DemoAccount & { firstName: string; lastName: string; rpps: string | null }> => [
  ...PHYSICIANS.filter((p) => p.hasAccount).map((p) => ({
    role: Role.PHYSICIAN,
    email: loginOf(p.firstName, p.lastName),
    password: DEMO_PASSWORD,
    name: `Dr ${p.firstName} ${p.lastName}`,
    firstName: p.firstName,
    lastName: p.lastName,
    rpps: p.rpps,
  })),
  { role: Role.ANALYST, email: 'analyste@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Analyste ARS', firstName: 'Analyste', lastName: 'ARS', rpps: null },
  { role: Role.ADMIN, email: 'admin@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Administrateur', firstName: 'Admin', lastName: 'e-mage', rpps: null },
];

/**
 * Creates the demo accounts that do not exist yet (by e-mail). Returns those it created. The
 * password hashes are computed concurrently (argon2 runs on the thread pool): start-up waits for
 * these accounts before saying "ready".
 */
export async function ensureDemoAccounts(em: EntityManager, config: Config): Promise<DemoAccount[]> {
  const existing = new Set((await em.find(User, { email: { $in: demoAccounts().map((a) => a.email) } })).map((u) => u.email));
  const missing = demoAccounts().filter((a) => !existing.has(a.email));
  await Promise.all(
    missing.map((a) =>
      createUser(em.fork(), config, { email: a.email, role: a.role, firstName: a.firstName, lastName: a.lastName, rpps: a.rpps, password: a.password }),
    ),
  );
  return missing.map((a) => ({ role: a.role, email: a.email, password: a.password, name: a.name }));
}

/** Creates the demo accounts on an empty database. Returns them when it did, [] otherwise. */
export async function seedDemoAccounts(deps: AppDeps): Promise<DemoAccount[]> {
  const em = forkEm(deps);
  if ((await em.count(User, {})) > 0) return [];
  return ensureDemoAccounts(em, deps.config);
}

export interface DemoSeedReport {
  /** Exams published by this run (0 when everything was already there). */
  published: number;
  /** Exams found already published and left untouched. */
  skipped: number;
  instancesStored: number;
  instancesFailed: number;
  megabytes: number;
  ms: number;
}

/** The publishExam input a demo facility sends for one exam. */
export function demoPublishRequest(exam: DemoExam): PublishExamRequest {
  const r = exam.patientRecord;
  return {
    patient: {
      ipp: r.ipp,
      ins: r.insNir,
      lastName: r.lastName,
      firstName: r.firstName,
      birthName: r.birthName,
      birthDate: r.birthDate,
      sex: r.sex,
      addressLine: r.address.line,
      postalCode: r.address.postalCode,
      city: r.address.city,
      phone: r.phone,
    },
    accessionNumber: exam.accessionNumber,
    studyInstanceUid: exam.studyInstanceUid,
    title: exam.title,
    date: exam.date.toISOString(),
    modalities: [...exam.modalities],
    prescriberRpps: exam.prescriberRpps,
    correspondentRpps: [...exam.correspondentRpps],
    documents: exam.documents.map((d) => ({
      type: d.type,
      title: d.title,
      date: d.date.toISOString(),
      studyInstanceUid: exam.studyInstanceUid,
      ...(d.type === 'REPORT' ? { sopInstanceUid: d.sopInstanceUid } : {}),
    })),
  };
}

/** Exams in flight at once: overlaps one exam's generation with another's storage and database writes. */
const PARALLEL_EXAMS = 2;

/**
 * Publishes the demo exams the way imaging centres do: the demo facilities (created if missing)
 * STOW-RS their generated instances to `serverUrl` and call publishExam with a key made for this
 * run and revoked at its end. Exams already published are left as they are, so running it again
 * changes nothing; an interrupted run is completed by the next one (STOW-RS and publishExam are
 * both idempotent).
 */
export async function seedDemoExams(deps: AppDeps, serverUrl: string): Promise<DemoSeedReport> {
  const t0 = performance.now();
  const em = forkEm(deps);
  await ensureDemoAccounts(em, deps.config);
  const dataset = buildDemoDataset();
  const facilities = new Map<string, Facility>();
  for (const demo of FACILITIES) {
    const existing = await em.findOne(Facility, { finess: demo.finess });
    if (existing) facilities.set(demo.key, existing);
  }
  // Study UIDs depend on the seed only (accession numbers also on the date), so they say whether
  // an exam is already there whatever day the seed runs again.
  const published = await em.find(Exam, { studyInstanceUid: { $in: dataset.exams.map((e) => e.studyInstanceUid) } });
  const done = new Set(published.map((e) => `${e.facility.id}:${e.studyInstanceUid}`));
  const pending = dataset.exams.filter((e) => {
    const facility = facilities.get(e.facilityKey);
    return !facility || !done.has(`${facility.id}:${e.studyInstanceUid}`);
  });
  for (const key of new Set(pending.map((e) => e.facilityKey))) {
    const demo = FACILITIES.find((f) => f.key === key);
    if (!demo) throw new Error(`demo facility ${key} is missing`);
    if (!facilities.has(key)) facilities.set(key, await createFacility(em, demo.name, demo.finess));
  }
  const report: DemoSeedReport = { published: 0, skipped: dataset.exams.length - pending.length, instancesStored: 0, instancesFailed: 0, megabytes: 0, ms: 0 };
  if (pending.length === 0) {
    report.ms = Math.round(performance.now() - t0);
    return report;
  }

  const keys = new Map<string, { client: FacilityClient; apiKey: ApiKey }>();
  for (const key of new Set(pending.map((e) => e.facilityKey))) {
    const { key: secret, apiKey } = await createApiKey(em, facilities.get(key) as Facility);
    keys.set(key, { client: new FacilityClient(serverUrl, secret), apiKey });
  }
  try {
    const queue = [...pending];
    const worker = async (): Promise<void> => {
      for (let exam = queue.shift(); exam; exam = queue.shift()) {
        const { client } = keys.get(exam.facilityKey)!;
        let bytes = 0;
        const files = function* (): Generator<Uint8Array> {
          for (const instance of exam!.instances()) {
            bytes += instance.data.length;
            yield instance.data;
          }
        };
        const stow = await client.stow(files());
        report.instancesStored += stow.stored.length;
        report.instancesFailed += stow.failed.length;
        report.megabytes += bytes / 1e6;
        if (stow.failed.length) throw new Error(`STOW-RS refused ${stow.failed.length} instance(s) of demo exam ${exam.key}`);
        await client.publishExam(demoPublishRequest(exam));
        report.published++;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_EXAMS }, worker));
  } finally {
    // The keys existed for this run only: no demo credential outlives the seeding.
    for (const { apiKey } of keys.values()) apiKey.revokedAt = new Date();
    await em.flush();
  }
  report.megabytes = Math.round(report.megabytes * 10) / 10;
  report.ms = Math.round(performance.now() - t0);
  return report;
}
