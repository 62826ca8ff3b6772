import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { OutboxMessage } from '../../src/infra/mail/outbox-message.entity.js';
import { Session } from '../../src/modules/auth/session.entity.js';
import { Role, User } from '../../src/modules/auth/user.entity.js';
import { Document, DocumentType, Exam, ExamAccess, ExamRole } from '../../src/modules/exam/exam.entity.js';
import type { Facility } from '../../src/modules/facility/facility.entity.js';
import { Notification } from '../../src/modules/notification/notification.entity.js';
import type { Patient } from '../../src/modules/patient/patient.entity.js';
import { Share } from '../../src/modules/share/share.entity.js';
import { Factory } from '../factories.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';

/*
 * The world is seeded in 2025 (the test clock is later), row by row through MikroORM; every
 * expected figure is recounted here from the seeded lists, never with the module's SQL.
 */

const MINUTE = 60_000;
const parisMonth = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' });
const monthOf = (d: Date): string => `${parisMonth.format(d)}-01`;
const at = (iso: string): Date => new Date(iso);

interface SeededExam {
  facility: 'A' | 'B';
  modalities: string[];
  publishedAt: Date;
  /** Minutes after publication each named physician first opened it (null: not opened). */
  openedAfter: Array<number | null>;
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

/** Nearest-rank quantile (the definition the API documents). */
function nearestRank(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

/** The documented rounding of durations: the class width at that magnitude. */
function resolutionOf(seconds: number): number {
  if (seconds < 600) return 60;
  if (seconds < 3600) return 300;
  if (seconds < 86_400) return 3600;
  if (seconds < 604_800) return 21_600;
  return 86_400;
}

type Value = { value: number | null; suppressed: boolean };

describe('stats: de-identified figures for analysts', () => {
  let t: TestServer;
  let analyst: GqlClient;
  let admin: GqlClient;
  let physicianClient: GqlClient;
  const exams: SeededExam[] = [];
  const notificationsSeeded: Array<{ createdAt: Date; readAfterMinutes: number | null }> = [];
  const shareOpenCounts = [0, 1, 1, 2, 3, 5];
  const activity: Array<{ user: number; at: Date }> = [];

  beforeAll(async () => {
    t = await startTestServer();
    analyst = (await t.login(Role.ANALYST)).client;
    admin = (await t.login(Role.ADMIN)).client;
    const physician = await t.login(Role.PHYSICIAN);
    physicianClient = physician.client;
    const second = await t.login(Role.PHYSICIAN);

    const f = new Factory(t.deps);
    const facilities: Record<'A' | 'B', Facility> = { A: await f.facility({ name: 'Centre A' }), B: await f.facility({ name: 'Centre B' }) };
    const patient = await f.patient();

    const add = (n: number, e: Omit<SeededExam, 'publishedAt' | 'openedAfter'> & { start: string; openedAfter?: (i: number) => Array<number | null> }) => {
      for (let i = 0; i < n; i++) {
        exams.push({
          facility: e.facility,
          modalities: e.modalities,
          publishedAt: new Date(at(e.start).getTime() + i * 60 * MINUTE),
          openedAfter: e.openedAfter?.(i) ?? [null],
        });
      }
    };
    add(12, { facility: 'A', modalities: ['CT'], start: '2025-01-10T09:00:00Z', openedAfter: (i) => [i + 1, i === 0 ? 30 : null] });
    add(7, { facility: 'A', modalities: ['MR'], start: '2025-02-12T09:00:00Z' });
    add(3, { facility: 'A', modalities: ['CT'], start: '2025-03-12T09:00:00Z' });
    add(6, { facility: 'A', modalities: ['CT'], start: '2025-04-12T09:00:00Z' });
    add(2, { facility: 'B', modalities: ['US'], start: '2025-01-20T09:00:00Z' });
    add(5, { facility: 'B', modalities: ['CT'], start: '2024-12-15T09:00:00Z' });

    const em = forkEm(t.deps) as EntityManager;
    const seeded: Exam[] = [];
    for (const e of exams) {
      const exam = em.create(Exam, {
        patient: em.getReference('Patient', patient.id) as Patient,
        facility: em.getReference('Facility', facilities[e.facility].id) as Facility,
        accessionNumber: `ACC-${randomBytes(6).toString('hex')}`,
        title: 'EXAMEN',
        date: e.publishedAt,
        modalities: e.modalities,
        publishedAt: e.publishedAt,
      });
      seeded.push(exam);
      e.openedAfter.forEach((minutes, i) => {
        em.persist(em.create(ExamAccess, {
          exam,
          physician: em.getReference(User, i === 0 ? physician.userId : second.userId),
          rpps: `rpps-${i}`,
          role: i === 0 ? ExamRole.PRESCRIBER : ExamRole.CORRESPONDENT,
          firstOpenedAt: minutes === null ? null : new Date(e.publishedAt.getTime() + minutes * MINUTE),
        }));
      });
    }
    await em.flush();

    // Notifications: 6 in February (5 read, after 2, 4, 6, 8, 45 minutes); 2 in March and 3 in
    // April, all read (two small months, which together are not small: no complement needed).
    const feb = [2, 4, 6, 8, 45, null];
    feb.forEach((readAfterMinutes, i) => notificationsSeeded.push({ createdAt: new Date(at('2025-02-03T10:00:00Z').getTime() + i * 3_600_000), readAfterMinutes }));
    for (const day of ['2025-03-03', '2025-03-04', '2025-04-03', '2025-04-04', '2025-04-05']) {
      notificationsSeeded.push({ createdAt: at(`${day}T10:00:00Z`), readAfterMinutes: 1 });
    }
    notificationsSeeded.forEach((n, i) => {
      em.persist(em.create(Notification, {
        recipient: em.getReference(User, physician.userId),
        exam: seeded[i]!,
        createdAt: n.createdAt,
        readAt: n.readAfterMinutes === null ? null : new Date(n.createdAt.getTime() + n.readAfterMinutes * MINUTE),
      }));
    });

    // E-mails in February: 5 sent (one at the second attempt), 1 given up, 1 waiting for a retry:
    // 3 needed more than one attempt.
    const mails = [
      { attempts: 1, sent: true, failed: false }, { attempts: 1, sent: true, failed: false }, { attempts: 1, sent: true, failed: false },
      { attempts: 1, sent: true, failed: false }, { attempts: 2, sent: true, failed: false },
      { attempts: 12, sent: false, failed: true }, { attempts: 1, sent: false, failed: false },
    ];
    mails.forEach((m, i) => {
      const createdAt = new Date(at('2025-02-05T08:00:00Z').getTime() + i * MINUTE);
      em.persist(em.create(OutboxMessage, {
        idempotencyKey: `stats-test-${i}`, to: 'x@test.e-mage.fr', template: 'exam-available', payload: {},
        attempts: m.attempts, createdAt, sentAt: m.sent ? createdAt : null, failedAt: m.failed ? createdAt : null,
        lastError: m.sent && m.attempts === 1 ? null : 'timeout',
      }));
    });

    // Shares in March 2025, all past their expiry; the last one revoked.
    const doc = em.create(Document, { exam: seeded[0]!, type: DocumentType.REPORT, title: 'CR', date: at('2025-01-10T09:00:00Z') });
    em.persist(doc);
    shareOpenCounts.forEach((openCount, i) => {
      const createdAt = new Date(at('2025-03-10T10:00:00Z').getTime() + i * 3_600_000);
      em.persist(em.create(Share, {
        document: doc, creator: em.getReference(User, physician.userId), recipientEmail: 'r@test.e-mage.fr', comment: null,
        tokenHash: randomBytes(32).toString('hex'), createdAt, expiresAt: new Date(createdAt.getTime() + 72 * 3_600_000),
        openCount, revokedAt: i === shareOpenCounts.length - 1 ? new Date(createdAt.getTime() + MINUTE) : null,
      }));
    });
    await em.flush();

    // Sessions of 6 physicians in May 2025; the first one comes back on another day.
    const physicians: string[] = [];
    for (let i = 0; i < 6; i++) physicians.push(i === 0 ? physician.userId : i === 1 ? second.userId : (await t.login(Role.PHYSICIAN)).userId);
    const sessions: Session[] = [];
    physicians.forEach((userId, i) => {
      const when = at(`2025-05-${String(5 + i).padStart(2, '0')}T10:00:00Z`);
      activity.push({ user: i, at: when });
      const s = em.create(Session, {
        tokenHash: randomBytes(32).toString('hex'), user: em.getReference(User, userId), createdAt: when, lastSeenAt: when,
        idleExpiresAt: when, absoluteExpiresAt: when,
      });
      sessions.push(s);
      em.persist(s);
    });
    await em.flush();
    sessions[0]!.lastSeenAt = at('2025-05-20T10:00:00Z');
    activity.push({ user: 0, at: sessions[0]!.lastSeenAt });
    await em.flush();
  });
  afterAll(() => t?.stop());

  const RANGE_2025H1 = { from: '2025-01-01T00:00:00+01:00', to: '2025-07-01T00:00:00+02:00' };

  async function stats<T>(client: GqlClient, groupBy: string[] | null, selection: string, range: { from: string; to: string } | null = RANGE_2025H1): Promise<T> {
    return client.mustQuery<{ stats: T }>(
      `query($r: DateRange, $g: [StatsGroup!]) { stats(range: $r, groupBy: $g) { ${selection} } }`,
      { r: range, g: groupBy },
    ).then((d) => d.stats);
  }

  it('counts exams published per month, equal to a recount of the seeded exams, small months suppressed with a complement', async () => {
    const s = await stats<{ from: string; to: string; examsPublished: Array<{ period: string; exams: Value }> }>(
      analyst, ['MONTH'], 'from to examsPublished { period exams { value suppressed } }');
    expect(s.from).toBe('2025-01-01');
    expect(s.to).toBe('2025-07-01');
    const expected = countBy(exams.filter((e) => e.publishedAt >= at(RANGE_2025H1.from) && e.publishedAt < at(RANGE_2025H1.to)), (e) => monthOf(e.publishedAt));
    expect(new Map(s.examsPublished.map((r) => [r.period, r.exams.value ?? -1])).size).toBe(expected.size);
    for (const row of s.examsPublished) {
      const n = expected.get(row.period)!;
      if (n < 5) expect(row.exams).toEqual({ value: null, suppressed: true });
      if (!row.exams.suppressed) expect(row.exams.value).toBe(n);
    }
    // March (3) is hidden; alone it could be recovered from the year total, so the smallest
    // visible month of the year, April (6), is hidden with it. December 2024 is out of range.
    expect(s.examsPublished).toEqual([
      { period: '2025-01-01', exams: { value: 14, suppressed: false } },
      { period: '2025-02-01', exams: { value: 7, suppressed: false } },
      { period: '2025-03-01', exams: { value: null, suppressed: true } },
      { period: '2025-04-01', exams: { value: null, suppressed: true } },
    ]);
  });

  it('the hidden pattern does not depend on the range: a range without April still hides March with a complement', async () => {
    const s = await stats<{ examsPublished: Array<{ period: string; exams: Value }> }>(
      analyst, ['MONTH'], 'examsPublished { period exams { value suppressed } }', { from: '2025-01-15T00:00:00Z', to: '2025-03-20T00:00:00Z' });
    expect(s.examsPublished.map((r) => [r.period, r.exams.value])).toEqual([['2025-01-01', 14], ['2025-02-01', 7], ['2025-03-01', null]]);
  });

  it('groups by facility: a small group hides its neighbour in the same month (else month total minus the other reveals it)', async () => {
    const s = await stats<{ examsPublished: Array<{ period: string; facility: { name: string }; exams: Value }> }>(
      analyst, ['MONTH', 'FACILITY'], 'examsPublished { period facility { name } exams { value suppressed } }');
    const jan = s.examsPublished.filter((r) => r.period === '2025-01-01');
    expect(jan.map((r) => [r.facility.name, r.exams])).toEqual([
      ['Centre A', { value: null, suppressed: true }],
      ['Centre B', { value: null, suppressed: true }],
    ]);
    expect(s.examsPublished.find((r) => r.period === '2025-02-01')).toEqual({ period: '2025-02-01', facility: { name: 'Centre A' }, exams: { value: 7, suppressed: false } });
  });

  it('groups by year and modality, with a complement in the year', async () => {
    const s = await stats<{ examsPublished: Array<{ period: string; modality: string; exams: Value }> }>(
      analyst, ['YEAR', 'MODALITY'], 'examsPublished { period modality exams { value suppressed } }', { from: '2025-01-01T00:00:00Z', to: '2025-12-31T00:00:00Z' });
    const in2025 = exams.filter((e) => e.publishedAt.getUTCFullYear() === 2025);
    const ct = in2025.filter((e) => e.modalities.includes('CT')).length;
    expect(s.examsPublished).toEqual([
      { period: '2025-01-01', modality: 'CT', exams: { value: ct, suppressed: false } },
      { period: '2025-01-01', modality: 'MR', exams: { value: null, suppressed: true } },
      { period: '2025-01-01', modality: 'US', exams: { value: null, suppressed: true } },
    ]);
  });

  it('measures the time from publication to the first opening by a physician (median, p90)', async () => {
    const s = await stats<{ timeToFirstOpening: Array<{ period: string; openedExams: Value; medianSeconds: Value; p90Seconds: Value }> }>(
      analyst, ['MONTH'], 'timeToFirstOpening { period openedExams { value suppressed } medianSeconds { value suppressed } p90Seconds { value suppressed } }');
    const opened = exams.filter((e) => monthOf(e.publishedAt) === '2025-01-01' && e.openedAfter.some((m) => m !== null));
    const delays = opened.map((e) => Math.min(...e.openedAfter.filter((m): m is number => m !== null)) * 60);
    const jan = s.timeToFirstOpening.find((r) => r.period === '2025-01-01')!;
    expect(jan.openedExams).toEqual({ value: opened.length, suppressed: false });
    for (const [field, q] of [['medianSeconds', 0.5], ['p90Seconds', 0.9]] as const) {
      const truth = nearestRank(delays, q);
      const shown = jan[field].value!;
      expect(shown).toBeLessThanOrEqual(truth);
      expect(truth).toBeLessThan(shown + resolutionOf(truth));
    }
    expect(s.timeToFirstOpening).toHaveLength(1);
  });

  it('counts notifications sent and read, with the median time to read; a small month is suppressed', async () => {
    const s = await stats<{ notifications: Array<{ period: string; sent: Value; read: Value; medianSecondsToRead: Value }> }>(
      analyst, ['MONTH'], 'notifications { period sent { value suppressed } read { value suppressed } medianSecondsToRead { value suppressed } }');
    const feb = notificationsSeeded.filter((n) => monthOf(n.createdAt) === '2025-02-01');
    const readDelays = feb.filter((n) => n.readAfterMinutes !== null).map((n) => n.readAfterMinutes! * 60);
    const row = s.notifications.find((r) => r.period === '2025-02-01')!;
    expect(row.sent).toEqual({ value: feb.length, suppressed: false });
    expect(row.read).toEqual({ value: readDelays.length, suppressed: false });
    expect(row.medianSecondsToRead.value).toBe(nearestRank(readDelays, 0.5));
    const march = s.notifications.find((r) => r.period === '2025-03-01')!;
    expect(march).toEqual({ period: '2025-03-01', sent: { value: null, suppressed: true }, read: { value: null, suppressed: true }, medianSecondsToRead: { value: null, suppressed: true } });
  });

  it('counts e-mails queued, sent, failed and retried', async () => {
    const s = await stats<{ emails: Array<{ period: string; queued: Value; sent: Value; failed: Value; retried: Value }> }>(
      analyst, ['MONTH'], 'emails { period queued { value suppressed } sent { value suppressed } failed { value suppressed } retried { value suppressed } }');
    expect(s.emails).toEqual([{
      period: '2025-02-01',
      queued: { value: 7, suppressed: false },
      sent: { value: 5, suppressed: false },
      failed: { value: null, suppressed: true },
      retried: { value: null, suppressed: true },
    }]);
  });

  it('counts shares created, opened, expired and revoked, with the median openings per share', async () => {
    const s = await stats<{ shares: Array<{ period: string; created: Value; opened: Value; expired: Value; revoked: Value; medianOpenings: Value }> }>(
      analyst, ['MONTH'], 'shares { period created { value suppressed } opened { value suppressed } expired { value suppressed } revoked { value suppressed } medianOpenings { value suppressed } }');
    expect(s.shares).toEqual([{
      period: '2025-03-01',
      created: { value: shareOpenCounts.length, suppressed: false },
      opened: { value: shareOpenCounts.filter((n) => n > 0).length, suppressed: false },
      expired: { value: shareOpenCounts.length - 1, suppressed: false },
      revoked: { value: null, suppressed: true },
      medianOpenings: { value: nearestRank(shareOpenCounts, 0.5), suppressed: false },
    }]);
  });

  it('counts each active physician once per period', async () => {
    const month = await stats<{ activePhysicians: Array<{ period: string; physicians: Value }> }>(
      analyst, ['MONTH'], 'activePhysicians { period physicians { value suppressed } }');
    const may = new Set(activity.filter((a) => monthOf(a.at) === '2025-05-01').map((a) => a.user)).size;
    expect(month.activePhysicians).toEqual([{ period: '2025-05-01', physicians: { value: may, suppressed: false } }]);
    const day = await stats<{ activePhysicians: Array<{ period: string; physicians: Value }> }>(
      analyst, ['DAY'], 'activePhysicians { period physicians { value suppressed } }', { from: '2025-05-01T00:00:00Z', to: '2025-06-01T00:00:00Z' });
    expect(day.activePhysicians.length).toBe(new Set(activity.map((a) => a.at.toISOString().slice(0, 10))).size);
    expect(day.activePhysicians.every((r) => r.physicians.suppressed && r.physicians.value === null)).toBe(true);
  });

  it('stats_rebuild() (backfill, after a bulk load) recomputes exactly what the triggers maintained', async () => {
    const em = forkEm(t.deps) as EntityManager;
    const snapshot = `select metric, grain, period_start::text, facility_id::text, modality, bucket, sum(value)::int as value
      from stats_counter group by 1, 2, 3, 4, 5, 6 having sum(value) <> 0 order by 1, 2, 3, 4, 5, 6`;
    const before = await em.execute(snapshot);
    await em.execute('select stats_rebuild()');
    const after = await em.execute(snapshot);
    expect(before.length).toBeGreaterThan(50);
    expect(after).toEqual(before);
  });

  it('defaults to the last 12 months by month, and answers administrators too', async () => {
    const s = await stats<{ period: string; groupBy: string[]; from: string; to: string; suppressionThreshold: number }>(
      admin, null, 'period groupBy from to suppressionThreshold', null);
    expect(s.period).toBe('MONTH');
    expect(s.groupBy).toEqual(['MONTH']);
    expect(s.suppressionThreshold).toBe(5);
    const months = (Number(s.to.slice(0, 4)) - Number(s.from.slice(0, 4))) * 12 + Number(s.to.slice(5, 7)) - Number(s.from.slice(5, 7));
    expect(months).toBe(13);
  });

  it('refuses a physician (FORBIDDEN) and an anonymous caller (UNAUTHENTICATED)', async () => {
    const q = `{ stats { examsPublished { period } } }`;
    expect(errorCode(await physicianClient.query(q))).toBe('FORBIDDEN');
    expect(errorCode(await t.client().query(q))).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['two periods', { g: ['DAY', 'MONTH'] }],
    ['an empty range', { r: { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' } }],
    ['more than 5 years', { r: { from: '2019-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' } }],
    ['more than 366 days by day', { g: ['DAY'], r: { from: '2024-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' } }],
    ['more than 92 days by day and facility', { g: ['DAY', 'FACILITY'], r: { from: '2025-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' } }],
  ])('refuses %s with BAD_USER_INPUT', async (_label, vars) => {
    const r = await analyst.query(`query($r: DateRange, $g: [StatsGroup!]) { stats(range: $r, groupBy: $g) { from } }`, vars);
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toBeTruthy();
  });
});
