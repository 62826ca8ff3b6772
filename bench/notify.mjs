#!/usr/bin/env node
// npm run bench:notify — live notifications across two replicas (guide §4, issue 6).
//
// Two built servers (server/dist/main.js) on one PostgreSQL (DATABASE_URL when set, otherwise
// one embedded PostgreSQL started here), SEED_DEMO=false. 1,000 physicians, each with a session
// (rows written in SQL with known token hashes, so no argon2 login is paid) and one graphql-ws
// subscription to notificationAdded, half on each replica. Exams are then published through
// publishExam over HTTP with a facility key, at a steady rate, on alternating replicas, each for
// a random subscribed physician.
//
// Measured, in one run:
//   - the raw PostgreSQL NOTIFY round trip (a pg client LISTENs, another NOTIFYs) — the floor;
//   - for each notification, the time from the NOTIFY being seen by a bystander LISTEN client
//     of the bench (i.e. commit + one NOTIFY hop, the moment any replica can know) to the event
//     arriving on the physician's WebSocket. Commit → event is this plus one NOTIFY hop (about
//     half the floor round trip);
//   - publish call start → event, and publish response → event (the event may beat the answer);
//   - RSS of each replica before and after its 500 subscriptions opened: memory per subscription;
//   - missed, doubled and misrouted events (must all be 0).
//
// BENCH_PUBLISH=sql replaces publishExam by what it does for notifications, in SQL, in one
// transaction per exam (grant the exam to the physician, insert the notification and its outbox
// e-mail, NOTIFY both topics — exactly the statements of notifyExamAvailable), for when
// publishExam cannot sustain the rate on the machine; commit → event is then also measured
// directly from the moment COMMIT returns.
//
// Knobs: BENCH_PHYSICIANS (1000), BENCH_RATE exams/s (20), BENCH_SECONDS (30),
// BENCH_PUBLISH (graphql | sql).
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { percentile } from './lib/measure.mjs';
import { WebSocket } from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'server', 'dist', p);
const { startEmbeddedPostgres, freePort } = await import(dist('infra/db/embedded-postgres.js'));
const { luhnCheckDigit } = await import(dist('common/identifiers.js'));
const luhn = (body) => body + luhnCheckDigit(body);

const PHYSICIANS = Number(process.env.BENCH_PHYSICIANS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const EXAMS = RATE * SECONDS;
const FLOOR_SAMPLES = 1000;
const CHANNEL = 'emage_events';
const MODE = process.env.BENCH_PUBLISH === 'sql' ? 'sql' : 'graphql';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const fmt = (v) => (Number.isNaN(v) ? 'n/a' : v.toFixed(1));
const summary = (values) => `p50 ${fmt(percentile(values, 50))} ms, p99 ${fmt(percentile(values, 99))} ms, max ${fmt(Math.max(...values))} ms (n=${values.length})`;

/** RPPS and FINESS numbers end with a Luhn check digit; the server validates them. */
const rpps = (n) => luhn(`19${String(n).padStart(8, '0')}`);

/** Median of 5 RSS samples over 2 s: a single reading moves with the garbage collector. */
async function rssMb(pid) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    samples.push(Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024);
    if (i < 4) await sleep(500);
  }
  return percentile(samples, 50);
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-notify-'));
await fs.chmod(work, 0o755);
const cleanups = [];
const replicas = [];

try {
  // --- One database for both replicas.
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const db = await startEmbeddedPostgres(path.join(work, 'pg'));
    cleanups.push(() => db.stop());
    databaseUrl = db.url;
  }

  async function startReplica(name) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SMTP_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATA_DIR: path.join(work, name),
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      SESSION_IDLE_MINUTES: '600',
      SESSION_ABSOLUTE_HOURS: '24',
      RATE_LIMIT_SCALE: '1000',
    };
    const child = spawn(process.execPath, [dist('main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    });
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('is ready at')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`replica ${name} exited with ${code}:\n${out}`)));
    });
    return { name, url, pid: child.pid, env };
  }

  // A first, alone: it applies the migrations (B would wait on the advisory lock anyway).
  replicas.push(await startReplica('a'));
  replicas.push(await startReplica('b'));
  const [a] = replicas;

  // --- Data: a facility with a key (operator CLI), physicians and sessions, stored studies.
  const finess = luhn(`54${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`);
  const cliOut = await run(process.execPath, [dist('cli.js'), 'facility', 'create', '--name', 'Centre du banc', '--finess', finess], a.env);
  const apiKey = /API key[^:]*:\s*(\S+)/.exec(cliOut)?.[1];
  if (!apiKey) throw new Error(`no API key printed:\n${cliOut}`);

  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  cleanups.push(() => sql.end());
  const physicians = Array.from({ length: PHYSICIANS }, (_, i) => ({
    index: i,
    id: randomUUID(),
    rpps: rpps(i + 1),
    token: randomBytes(32).toString('base64url'),
  }));
  await sql.query('begin');
  await sql.query(
    `insert into app_user (id, role, email, rpps, first_name, last_name, status, failed_attempts, locale, email_notifications, created_at, activated_at)
     select id, 'PHYSICIAN', 'bench' || n || '@bench.e-mage.fr', rpps, 'Banc', 'Médecin ' || n, 'ACTIVE', 0, 'fr', true, now(), now()
       from unnest($1::uuid[], $2::text[]) with ordinality as t(id, rpps, n)`,
    [physicians.map((p) => p.id), physicians.map((p) => p.rpps)],
  );
  // Session rows as login writes them, with token hashes the bench knows (sha256 of the token).
  await sql.query(
    `insert into session (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
     select gen_random_uuid(), h, u, now(), now(), now() + interval '10 hours', now() + interval '24 hours'
       from unnest($1::text[], $2::uuid[]) as t(h, u)`,
    [physicians.map((p) => createHash('sha256').update(p.token).digest('hex')), physicians.map((p) => p.id)],
  );
  const { rows: [facility] } = await sql.query(`select id from facility where finess = $1`, [finess]);
  // publishExam publishes what STOW-RS stored: the study index rows it checks, written directly.
  const studies = Array.from({ length: EXAMS }, () => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`)}`);
  await sql.query(
    `insert into dicom_study (id, study_instance_uid, facility_id, modalities, created_at)
     select gen_random_uuid(), uid, $2, '{CT}', now() from unnest($1::text[]) as t(uid)`,
    [studies, facility.id],
  );
  // In SQL mode the exams exist unpublished-to-anyone; each publication grants one and notifies.
  const examIds = studies.map(() => randomUUID());
  if (MODE === 'sql') {
    const patientId = randomUUID();
    await sql.query(
      `insert into patient (id, last_name, first_name, birth_date, sex, search_name, created_at, updated_at)
       values ($1, 'Patient', 'Banc', '1970-01-01', 'F', 'patient banc', now(), now())`,
      [patientId],
    );
    await sql.query(
      `insert into exam (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
       select id, $3, $4, 'BENCH-' || n, uid, 'SCANNER THORACIQUE', now(), '{CT}', 'PUBLISHED', now(), now()
         from unnest($1::uuid[], $2::text[]) with ordinality as t(id, uid, n)`,
      [examIds, studies, patientId, facility.id],
    );
  }
  await sql.query('commit');

  // --- The floor: raw NOTIFY round trip on loopback, idle.
  const listener = new pg.Client({ connectionString: databaseUrl });
  const notifier = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([listener.connect(), notifier.connect()]);
  cleanups.push(() => listener.end(), () => notifier.end());
  const floorWaiters = new Map();
  const committedAt = new Map();
  listener.on('notification', (msg) => {
    const t = now();
    if (msg.channel === 'bench_floor') {
      floorWaiters.get(msg.payload)?.(t);
      return;
    }
    const env = JSON.parse(msg.payload);
    if (env.topic.startsWith('notification:')) committedAt.set(env.payload.notificationId, t);
  });
  await listener.query('LISTEN bench_floor');
  await listener.query(`LISTEN ${CHANNEL}`);
  async function floorSample(i) {
    const key = `f${i}-${randomBytes(4).toString('hex')}`;
    const arrived = new Promise((r) => floorWaiters.set(key, r));
    const t0 = now();
    await notifier.query(`select pg_notify('bench_floor', $1)`, [key]);
    const t1 = await arrived;
    floorWaiters.delete(key);
    return t1 - t0;
  }
  const floorIdle = [];
  for (let i = 0; i < FLOOR_SAMPLES; i++) floorIdle.push(await floorSample(i));

  // --- Memory before subscriptions (a few requests first, so lazy start-up costs are paid).
  for (const r of replicas) for (let i = 0; i < 20; i++) await fetch(`${r.url}/readyz`);
  await sleep(1000);
  const rssBefore = await Promise.all(replicas.map((r) => rssMb(r.pid)));

  // --- 1,000 subscribed physicians, half on each replica.
  const FIELDS = 'id createdAt readAt exam { id title date } patient { id displayName }';
  const received = new Map(); // notificationId → { t, physician, examId }
  const misrouted = [];
  let doubled = 0;
  let subscriptionErrors = 0;
  const clients = [];
  cleanups.push(() => Promise.all(clients.map((c) => c.dispose())));
  async function subscribePhysician(p) {
    const replica = replicas[p.index % 2];
    const headers = { cookie: `emage_session=${p.token}` };
    class CookieSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { headers });
      }
    }
    let ack;
    const acked = new Promise((resolve, reject) => (ack = { resolve, reject }));
    const client = createClient({
      url: `${replica.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: CookieSocket,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: (e) => ack.reject(e),
      on: { connected: () => ack.resolve() },
    });
    clients.push(client);
    await acked;
    client.subscribe(
      { query: `subscription { notificationAdded { ${FIELDS} } }` },
      {
        next: (r) => {
          const t = now();
          const n = r.data?.notificationAdded;
          if (!n) {
            subscriptionErrors++;
            return;
          }
          if (received.has(n.id)) doubled++;
          received.set(n.id, { t, physician: p.index, examId: n.exam.id });
        },
        error: () => subscriptionErrors++,
        complete: () => undefined,
      },
    );
  }
  const tSubscribe = now();
  for (let i = 0; i < physicians.length; i += 50) await Promise.all(physicians.slice(i, i + 50).map(subscribePhysician));
  const subscribeSeconds = (now() - tSubscribe) / 1000;
  // graphql-ws gives no signal when a subscription is live on the server: let them settle.
  await sleep(3000);
  const rssAfter = await Promise.all(replicas.map((r) => rssMb(r.pid)));

  // --- Publishing at a steady rate, alternating replicas, for random subscribed physicians.
  const published = new Map(); // examId → { physician, sentAt, answeredAt }
  let publishErrors = 0;
  const floorLoaded = [];
  let floorRunning = true;
  const floorLoop = (async () => {
    for (let i = 0; floorRunning; i++) {
      floorLoaded.push(await floorSample(FLOOR_SAMPLES + i));
      await sleep(20);
    }
  })();
  const publishers = MODE === 'sql' ? await Promise.all(Array.from({ length: 4 }, async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    cleanups.push(() => c.end());
    return c;
  })) : [];
  /** notifyExamAvailable's statements, in one transaction with the grant. */
  async function publishInSql(i, physician) {
    const c = publishers[i % publishers.length];
    const examId = examIds[i];
    const sentAt = now();
    await c.query('begin');
    await c.query(`insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) values (gen_random_uuid(), $1, $2, $3, 'PRESCRIBER', now())`, [examId, physician.id, physician.rpps]);
    const { rows: [n] } = await c.query(
      `insert into notification (id, recipient_id, exam_id, kind, created_at) values (gen_random_uuid(), $1, $2, 'EXAM_AVAILABLE', now())
       on conflict (recipient_id, exam_id, kind) do nothing returning id`,
      [physician.id, examId],
    );
    await c.query(
      `insert into outbox_message (id, idempotency_key, "to", template, payload, attempts, next_attempt_at, created_at)
       values (gen_random_uuid(), $1, $2, 'notification.exam-available', $3::jsonb, 0, now(), now()) on conflict (idempotency_key) do nothing`,
      [`notification:${n.id}`, `bench${physician.index + 1}@bench.e-mage.fr`, JSON.stringify({ notificationId: n.id, locale: 'fr' })],
    );
    await c.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ topic: `notification:${physician.id}`, payload: { notificationId: n.id, recipientId: physician.id } })]);
    await c.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ topic: `unread:${physician.id}`, payload: { recipientId: physician.id } })]);
    await c.query('commit');
    published.set(examId, { physician: physician.index, sentAt, answeredAt: now() });
  }
  async function publishOne(i) {
    const replica = replicas[i % 2];
    const physician = physicians[Math.floor(Math.random() * physicians.length)];
    if (MODE === 'sql') {
      await publishInSql(i, physician).catch((err) => {
        publishErrors++;
        console.error('publish in SQL failed:', err.message);
      });
      return;
    }
    const date = new Date(Date.now() - 3600_000).toISOString();
    const input = {
      patient: { ipp: `BENCH-${i}`, lastName: `Patient ${i}`, firstName: 'Banc', birthDate: '1970-01-01', sex: 'F' },
      accessionNumber: `BENCH-${i}`,
      studyInstanceUid: studies[i],
      title: 'SCANNER THORACIQUE',
      date,
      prescriberRpps: physician.rpps,
      documents: [{ type: 'IMAGING', title: 'SCANNER THORACIQUE - (IMAGES)', date, studyInstanceUid: studies[i] }],
    };
    const sentAt = now();
    const res = await fetch(`${replica.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: 'mutation($input: PublishExamInput!) { publishExam(input: $input) { id } }', variables: { input } }),
    });
    const body = await res.json();
    const answeredAt = now();
    const id = body.data?.publishExam?.id;
    if (!id) {
      publishErrors++;
      if (publishErrors <= 3) console.error('publishExam failed:', JSON.stringify(body.errors));
      return;
    }
    published.set(id, { physician: physician.index, sentAt, answeredAt });
  }
  const inFlight = [];
  const start = now();
  for (let i = 0; i < EXAMS; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    inFlight.push(publishOne(i));
  }
  await Promise.all(inFlight);
  const publishSeconds = (now() - start) / 1000;
  // Stragglers: every published exam's event, or 10 s.
  const deadline = now() + 10_000;
  while (now() < deadline && [...published.keys()].some((examId) => ![...received.values()].some((r) => r.examId === examId))) await sleep(100);
  floorRunning = false;
  await floorLoop;

  // --- Results.
  const fromNotify = [];
  const fromSend = [];
  const fromAnswer = [];
  const examsReceived = new Set();
  for (const [notificationId, r] of received) {
    const pub = published.get(r.examId);
    if (!pub) continue;
    examsReceived.add(r.examId);
    if (pub.physician !== r.physician) misrouted.push(notificationId);
    const c = committedAt.get(notificationId);
    if (c !== undefined) fromNotify.push(r.t - c);
    fromSend.push(r.t - pub.sentAt);
    fromAnswer.push(r.t - pub.answeredAt);
  }
  const missed = published.size - examsReceived.size;
  const floorOneWayP50 = percentile(floorIdle, 50) / 2;
  const commitToEvent = fromNotify.map((v) => v + floorOneWayP50);

  const perSub = rssAfter.map((after, i) => ((after - rssBefore[i]) * 1024) / (PHYSICIANS / 2));
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, database: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}`);
  console.log(`subscriptions: ${PHYSICIANS} physicians, ${PHYSICIANS / 2} per replica, opened in ${subscribeSeconds.toFixed(1)} s`);
  console.log(`published (${MODE === 'sql' ? 'notifyExamAvailable statements in SQL' : 'publishExam over HTTP'}): ${published.size}/${EXAMS} exams in ${publishSeconds.toFixed(1)} s (target ${RATE}/s), ${publishErrors} errors`);
  console.log(`events: ${examsReceived.size} received, ${missed} missed, ${doubled} doubled, ${misrouted.length} misrouted, ${subscriptionErrors} subscription errors`);
  console.log(`raw NOTIFY round trip, idle:        ${summary(floorIdle)}`);
  console.log(`raw NOTIFY round trip, under load:  ${summary(floorLoaded)}`);
  console.log(`NOTIFY seen by a bystander → event: ${summary(fromNotify)}`);
  console.log(`commit → event (above + ${fmt(floorOneWayP50)} ms one-way NOTIFY hop): ${summary(commitToEvent)}`);
  console.log(`publish call start → event:         ${summary(fromSend)}`);
  console.log(`${MODE === 'sql' ? 'COMMIT returned' : 'publish answer'} → event:${MODE === 'sql' ? '            ' : '             '}${summary(fromAnswer)}`);
  console.log(`RSS before/after subscriptions: A ${rssBefore[0].toFixed(0)} → ${rssAfter[0].toFixed(0)} MB, B ${rssBefore[1].toFixed(0)} → ${rssAfter[1].toFixed(0)} MB`);
  console.log(`memory per open subscription: A ${perSub[0].toFixed(1)} kB, B ${perSub[1].toFixed(1)} kB`);
  if (missed > 0 || doubled > 0 || misrouted.length > 0 || publishErrors > 0) process.exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await fs.rm(work, { recursive: true, force: true });
}
