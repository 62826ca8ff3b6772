#!/usr/bin/env node
// npm run bench:load — the portal under load through HAProxy (issue 21).
//
// Debian's HAProxy running infra/haproxy/haproxy.cfg's defaults and backend (bench/lib/cluster.mjs)
// in front of 2 replicas of the built server (server/dist/main.js) on one database of the
// machine's PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres: a new
// database is created and dropped), files on a shared directory. Then, all through HAProxy:
//   - BENCH_PHYSICIANS (10) physicians, signed in (session rows written in SQL with token hashes the
//     bench knows, so no argon2 login is paid), each with BENCH_EXAMS (2) exams published by an
//     imaging centre (STOW-RS of BENCH_INSTANCES (8) 256×256 16-bit CT images, then publishExam);
//   - BENCH_SUBSCRIPTIONS (1000) graphql-ws WebSockets, each with notificationAdded, spread evenly
//     over the physicians, and open for the whole run;
//   - a floor: BENCH_FLOOR_SECONDS (10) of GET /healthz, the cheapest request through the same path;
//   - the mixed load for BENCH_DURATION seconds (60): BENCH_CONCURRENCY (8) clients in a loop,
//     each request one of the shell's, in turn: the dashboard (DashboardPatients), a patient's
//     record (PatientRecord), a study's WADO-RS metadata, and one frame of one of its images;
//   - at the end, one more exam published for each physician: every open subscription must get
//     its notification (delivered / expected).
// Printed: errors (any status but 200, any GraphQL error), p50/p99 per operation and its ratio to
// the floor's p50, requests per replica (HAProxy's X-Replica), CPU per request per replica (its
// /proc/<pid>/stat before and after the load, over the requests it answered), HAProxy's own CPU,
// and each replica's RSS with the subscriptions open and after the load.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { cpuSeconds, rssMb, startCluster } from './lib/cluster.mjs';
import { percentile } from './lib/measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'server', 'dist', p);
const { luhnCheckDigit } = await import(dist('common/identifiers.js'));
const { FacilityClient } = await import(dist('modules/demo/facility-client.js'));
const { el, newUid, tag, writePart10 } = await import(dist('modules/demo/generator/dicom-writer.js'));

const PHYSICIANS = Number(process.env.BENCH_PHYSICIANS ?? 10);
const EXAMS = Number(process.env.BENCH_EXAMS ?? 2);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 8);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const FLOOR_SECONDS = Number(process.env.BENCH_FLOOR_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const luhn = (body) => body + luhnCheckDigit(body);
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

const DASHBOARD = `query DashboardPatients($first: Int!) { patients(first: $first) { edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } } pageInfo { hasNextPage endCursor } } }`;
const RECORD = `query PatientRecord($id: ID!) { patient(id: $id) { id displayName
  records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }
  exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } } } }`;
const ADDED = `subscription BellNotificationAdded { notificationAdded { id kind createdAt readAt exam { id title date } patient { id displayName } } }`;

/** A CT series of `count` 256×256 16-bit images (a gradient with noise: not all zeros). */
function ctStudy(count) {
  const study = newUid();
  const series = newUid();
  const files = [];
  for (let i = 0; i < count; i++) {
    const pixels = new Uint16Array(256 * 256);
    for (let p = 0; p < pixels.length; p++) pixels[p] = ((p % 256) * 8 + i * 16 + (p * 7919) % 37) & 0x0fff;
    files.push(
      writePart10([
        el(tag(0x0008, 0x0016), 'UI', '1.2.840.10008.5.1.4.1.1.2'),
        el(tag(0x0008, 0x0018), 'UI', newUid()),
        el(tag(0x0008, 0x0020), 'DA', '20251120'),
        el(tag(0x0008, 0x0060), 'CS', 'CT'),
        el(tag(0x0010, 0x0010), 'PN', 'CHARGE^BANC'),
        el(tag(0x0010, 0x0020), 'LO', 'LOAD-0001'),
        el(tag(0x0020, 0x000d), 'UI', study),
        el(tag(0x0020, 0x000e), 'UI', series),
        el(tag(0x0020, 0x0013), 'IS', String(i + 1)),
        el(tag(0x0028, 0x0002), 'US', 1),
        el(tag(0x0028, 0x0004), 'CS', 'MONOCHROME2'),
        el(tag(0x0028, 0x0010), 'US', 256),
        el(tag(0x0028, 0x0011), 'US', 256),
        el(tag(0x0028, 0x0100), 'US', 16),
        el(tag(0x0028, 0x0101), 'US', 12),
        el(tag(0x0028, 0x0102), 'US', 11),
        el(tag(0x0028, 0x0103), 'US', 0),
        el(tag(0x7fe0, 0x0010), 'OW', pixels),
      ]),
    );
  }
  return { study, files };
}

const dbName = `emage_bench_load_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
await admin.query(`create database "${dbName}"`);
const dbUrl = new URL(PG_ADMIN);
dbUrl.pathname = `/${dbName}`;
const databaseUrl = dbUrl.toString();
let cluster;
const sockets = [];
let sql;

try {
  cluster = await startCluster({ databaseUrl, env: { RATE_LIMIT_SCALE: '10000', SESSION_IDLE_MINUTES: '600', SESSION_ABSOLUTE_HOURS: '24' } });
  const base = cluster.url;
  const [a] = cluster.replicas;
  const replicaEnv = { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: path.join(cluster.work, 'cli'), STORAGE_DIR: cluster.storageDir, NODE_ENV: 'test', LOG_LEVEL: 'warn' };

  // --- Data: a facility (operator CLI), physicians with sessions, exams published through HAProxy.
  const finess = luhn(`54${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`);
  const cliOut = execFileSync(process.execPath, [dist('cli.js'), 'facility', 'create', '--name', 'Centre du banc de charge', '--finess', finess], { env: replicaEnv, encoding: 'utf8' });
  const apiKey = /API key[^:]*:\s*(\S+)/.exec(cliOut)?.[1];
  if (!apiKey) throw new Error(`no API key printed:\n${cliOut}`);
  sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const physicians = Array.from({ length: PHYSICIANS }, (_, i) => ({ index: i, id: randomUUID(), rpps: luhn(`19${String(i + 1).padStart(8, '0')}`), token: randomBytes(32).toString('base64url'), studies: [], patients: [] }));
  await sql.query(
    `insert into app_user (id, role, email, rpps, first_name, last_name, status, locale, email_notifications, created_at, activated_at)
     select id, 'PHYSICIAN', 'charge' || n || '@bench.e-mage.fr', rpps, 'Banc', 'Médecin ' || n, 'ACTIVE', 'fr', false, now(), now()
       from unnest($1::uuid[], $2::text[]) with ordinality as t(id, rpps, n)`,
    [physicians.map((p) => p.id), physicians.map((p) => p.rpps)],
  );
  await sql.query(
    `insert into session (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
     select gen_random_uuid(), h, u, now(), now(), now() + interval '10 hours', now() + interval '24 hours'
       from unnest($1::text[], $2::uuid[]) as t(h, u)`,
    [physicians.map((p) => createHash('sha256').update(p.token).digest('hex')), physicians.map((p) => p.id)],
  );
  const centre = new FacilityClient(base, apiKey);
  let accession = 0;
  async function publishFor(p, instances) {
    const { study, files } = ctStudy(instances);
    const stored = await centre.stow(files);
    if (stored.failed.length) throw new Error(`STOW-RS failed for ${stored.failed.length} instances`);
    accession++;
    const date = new Date(Date.UTC(2025, 10, 1 + (accession % 28), 9, 30)).toISOString();
    const exam = await centre.publishExam({
      patient: { ipp: `LOAD${String(accession).padStart(5, '0')}`, lastName: `Charge ${accession}`, firstName: 'Banc', birthName: `Charge ${accession}`, birthDate: '1970-01-01', sex: 'F', addressLine: '1 rue du Banc', postalCode: '54000', city: 'Nancy', phone: '03 83 00 00 00' },
      accessionNumber: `LOAD-${process.pid}-${accession}`,
      studyInstanceUid: study,
      title: 'SCANNER THORACIQUE',
      date,
      modalities: ['CT'],
      prescriberRpps: p.rpps,
      documents: [{ type: 'IMAGING', title: 'SCANNER THORACIQUE - (IMAGES)', date, studyInstanceUid: study }],
    });
    return { study, exam };
  }
  for (const p of physicians) for (let e = 0; e < EXAMS; e++) p.studies.push((await publishFor(p, INSTANCES)).study);
  for (const p of physicians) {
    const { rows } = await sql.query(`select distinct e.patient_id as id from exam e join exam_access x on x.exam_id = e.id where x.physician_id = $1`, [p.id]);
    p.patients = rows.map((r) => r.id);
  }

  // --- The subscriptions, through HAProxy, spread over the physicians.
  const delivered = new Map(); // physician index → notification ids received, per socket
  let subscriptionErrors = 0;
  const socketsPerReplica = {};
  async function openSubscription(i) {
    const p = physicians[i % physicians.length];
    const headers = { cookie: `emage_session=${p.token}` };
    class CookieSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { headers });
        this.once('upgrade', (res) => {
          const r = res.headers['x-replica'];
          socketsPerReplica[r] = (socketsPerReplica[r] ?? 0) + 1;
        });
      }
    }
    let ack;
    const acked = new Promise((resolve, reject) => (ack = { resolve, reject }));
    const client = createClient({ url: `${base.replace(/^http/, 'ws')}/graphql`, webSocketImpl: CookieSocket, lazy: false, retryAttempts: 0, onNonLazyError: (e) => ack.reject(e), on: { connected: () => ack.resolve() } });
    sockets.push(client);
    await acked;
    const got = [];
    delivered.set(i, { physician: p.index, got });
    client.subscribe(
      { query: ADDED },
      {
        next: (r) => (r.data?.notificationAdded ? got.push(r.data.notificationAdded.id) : subscriptionErrors++),
        error: () => subscriptionErrors++,
        complete: () => undefined,
      },
    );
  }
  const tSub = performance.now();
  for (let i = 0; i < SUBSCRIPTIONS; i += 50) await Promise.all(Array.from({ length: Math.min(50, SUBSCRIPTIONS - i) }, (_, k) => openSubscription(i + k)));
  const subscribeSeconds = (performance.now() - tSub) / 1000;
  await sleep(3000); // graphql-ws says nothing when a subscription is live on the server
  const rssWithSockets = cluster.replicas.map((r) => rssMb(r.pid));

  // --- Load loops.
  const results = new Map(); // op → { ms: [], errors: 0, firstError }
  const perReplica = {};
  const record = (op, ms, error, replica) => {
    const r = results.get(op) ?? { ms: [], errors: 0, firstError: undefined };
    results.set(op, r);
    if (error) {
      r.errors++;
      r.firstError ??= error;
    } else r.ms.push(ms);
    if (replica) perReplica[replica] = (perReplica[replica] ?? 0) + 1;
  };
  async function timed(op, url, init, check) {
    const t0 = performance.now();
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      const body = Buffer.from(await res.arrayBuffer());
      const error = res.status !== 200 ? `${res.status} ${body.toString('utf8', 0, 120)}` : check?.(body);
      record(op, performance.now() - t0, error, res.headers.get('x-replica'));
    } catch (err) {
      record(op, performance.now() - t0, err.message);
    }
  }
  const gqlInit = (p, query, variables) => ({ method: 'POST', headers: { 'content-type': 'application/json', cookie: `emage_session=${p.token}` }, body: JSON.stringify({ query, variables }) });
  const gqlCheck = (body) => {
    const json = JSON.parse(body.toString('utf8'));
    return json.errors?.length ? JSON.stringify(json.errors).slice(0, 160) : undefined;
  };
  const instancesOf = new Map(); // study → [series, sop][]
  async function oneOf(kind, n) {
    const p = physicians[n % physicians.length];
    const cookie = `emage_session=${p.token}`;
    const study = p.studies[n % p.studies.length];
    switch (kind) {
      case 'dashboard':
        return timed('dashboard', `${base}/graphql`, gqlInit(p, DASHBOARD, { first: 25 }), gqlCheck);
      case 'record':
        return timed('record', `${base}/graphql`, gqlInit(p, RECORD, { id: p.patients[n % p.patients.length] }), gqlCheck);
      case 'metadata':
        return timed('metadata', `${base}/dicomweb/studies/${study}/metadata`, { headers: { accept: 'application/dicom+json', cookie } }, (body) => {
          if (!instancesOf.has(study)) instancesOf.set(study, JSON.parse(body.toString('utf8')).map((m) => [m['0020000E'].Value[0], m['00080018'].Value[0]]));
          return undefined;
        });
      case 'frame': {
        const list = instancesOf.get(study);
        if (!list) return oneOf('metadata', n);
        const [series, sop] = list[n % list.length];
        return timed('frame', `${base}/dicomweb/studies/${study}/series/${series}/instances/${sop}/frames/1`, { headers: { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*', cookie } }, (body) => (body.length > 256 * 256 * 2 ? undefined : `frame of ${body.length} bytes`));
      }
      default:
        return timed('floor', `${base}/healthz`, {});
    }
  }
  async function run(seconds, kinds) {
    const until = performance.now() + seconds * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, c) => {
        for (let i = c; performance.now() < until; i += CONCURRENCY) await oneOf(kinds[i % kinds.length], n++);
      }),
    );
  }
  const pids = cluster.replicas.map((r) => r.pid);

  // Floor: /healthz through HAProxy.
  await run(FLOOR_SECONDS, ['floor']);
  const floor = results.get('floor');
  results.delete('floor');
  for (const k of Object.keys(perReplica)) delete perReplica[k];

  const cpuBefore = pids.map(cpuSeconds);
  const haproxyBefore = cpuSeconds(cluster.haproxyPid);
  const t0 = performance.now();
  await run(DURATION, ['dashboard', 'record', 'metadata', 'frame']);
  const seconds = (performance.now() - t0) / 1000;
  const cpuAfter = pids.map(cpuSeconds);
  const haproxyCpu = cpuSeconds(cluster.haproxyPid) - haproxyBefore;
  const rssAfterLoad = cluster.replicas.map((r) => rssMb(r.pid));

  // --- One more exam per physician: every open subscription gets its notification.
  const expected = new Map();
  for (const p of physicians) {
    const { exam } = await publishFor(p, 1);
    const { rows } = await sql.query(`select id from notification where exam_id = $1`, [exam.id]);
    expected.set(p.index, rows[0].id);
  }
  const deadline = Date.now() + 20_000;
  const missing = () => [...delivered.values()].filter((d) => !d.got.includes(expected.get(d.physician))).length;
  while (missing() > 0 && Date.now() < deadline) await sleep(200);

  // --- Report.
  const total = [...results.values()].reduce((s, r) => s + r.ms.length + r.errors, 0);
  const errors = [...results.values()].reduce((s, r) => s + r.errors, 0);
  const floorP50 = percentile(floor.ms, 50);
  console.log(`\nbench:load — ${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`HAProxy ${execFileSync('/usr/sbin/haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0].split(' ')[2]} → ${cluster.replicas.length} replicas; ${PHYSICIANS} physicians, ${PHYSICIANS * EXAMS} exams of ${INSTANCES} CT images 256×256`);
  console.log(`subscriptions: ${SUBSCRIPTIONS} open (${Object.entries(socketsPerReplica).map(([r, n]) => `${r} ${n}`).join(', ')}) in ${subscribeSeconds.toFixed(1)} s; final publication delivered to ${SUBSCRIPTIONS - missing()}/${SUBSCRIPTIONS}; subscription errors ${subscriptionErrors}`);
  console.log(`mixed load: ${DURATION} s, ${CONCURRENCY} clients, ${total} requests (${(total / seconds).toFixed(0)}/s), errors ${errors}`);
  console.log(`floor GET /healthz through HAProxy: p50 ${fmt(floorP50)} ms, p99 ${fmt(percentile(floor.ms, 99))} ms (n=${floor.ms.length}, errors ${floor.errors})`);
  console.log('operation   requests  errors   p50 ms   p99 ms   p50/floor');
  for (const [op, r] of results) {
    console.log(`${op.padEnd(11)} ${String(r.ms.length + r.errors).padStart(8)}  ${String(r.errors).padStart(6)}  ${fmt(percentile(r.ms, 50)).padStart(7)}  ${fmt(percentile(r.ms, 99)).padStart(7)}   ${(percentile(r.ms, 50) / floorP50).toFixed(1).padStart(8)}×`);
    if (r.firstError) console.log(`  first error: ${r.firstError}`);
  }
  cluster.replicas.forEach((r, i) => {
    const served = perReplica[r.name] ?? 0;
    const cpu = cpuAfter[i] - cpuBefore[i];
    console.log(`${r.name}: ${served} requests, CPU ${cpu.toFixed(1)} s (${served ? ((cpu * 1000) / served).toFixed(2) : 'n/a'} ms per request), RSS ${rssWithSockets[i].toFixed(0)} MB with the sockets open, ${rssAfterLoad[i].toFixed(0)} MB after the load`);
  });
  console.log(`HAProxy: CPU ${haproxyCpu.toFixed(1)} s (${((haproxyCpu * 1000) / total).toFixed(3)} ms per request)`);
  if (errors || missing() || subscriptionErrors) process.exitCode = 1;
} finally {
  await Promise.all(sockets.map((c) => c.dispose()));
  await sql?.end();
  await cluster?.stop();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
}
