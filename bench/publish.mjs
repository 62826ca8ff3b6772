#!/usr/bin/env node
// npm run bench:publish — publications per second through publishExam over HTTP.
//
// The built server (server/dist/main.js) in its own process on a free port, its own data dir,
// an embedded PostgreSQL (or DATABASE_URL), SEED_DEMO=false, the outbox worker on. One facility
// and API key (operator CLI); BENCH_EXAMS studies indexed in SQL as STOW-RS leaves them (the
// publication's precondition); one active physician account per exam as prescriber (so every
// publication also notifies: notification row, outbox e-mail, two NOTIFYs) plus two pending
// correspondents; two documents per exam (images and report).
//
// Measured:
//   - one publication at a time (BENCH_SEQUENTIAL calls): latency;
//   - BENCH_CONCURRENCY calls in flight until BENCH_EXAMS are published: publications/s, latency,
//     errors (must be 0);
//   - then the same exams published again at once (a PACS retrying everything): updates/s, errors;
//   - CPU ms per publication of the server process and of PostgreSQL (all its processes), from
//     /proc, over the concurrent phase — the machine is shared, so wall-clock rates depend on the
//     load and CPU time is the comparable figure;
//   - the share of PostgreSQL backends waiting on a lock (pg_stat_activity sampled every 20 ms).
//
// Knobs: BENCH_EXAMS (400), BENCH_CONCURRENCY (16), BENCH_SEQUENTIAL (40).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { percentile } from './lib/measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'server', 'dist', p);
const { startEmbeddedPostgres, freePort } = await import(dist('infra/db/embedded-postgres.js'));
const { luhnCheckDigit } = await import(dist('common/identifiers.js'));
const luhn = (body) => body + luhnCheckDigit(body);

const EXAMS = Number(process.env.BENCH_EXAMS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 40);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const latency = (v) => `p50 ${percentile(v, 50).toFixed(0)} ms, p99 ${percentile(v, 99).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms`;

/** RPPS and FINESS numbers end with a Luhn check digit; the server validates them. */
const rpps = (n) => luhn(`18${String(n).padStart(8, '0')}`);
const uid = () => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`)}`;
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

/** CPU seconds (user + system) of the given processes, from /proc/<pid>/stat. */
async function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** PostgreSQL's processes: the postmaster started on this data dir and its children. */
async function postgresPids(dataDir) {
  const pids = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dataDir)) pids.push(Number(entry));
  }
  const children = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : 0;
    if (pids.includes(ppid)) children.push(Number(entry));
  }
  return [...pids, ...children];
}

function run(args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-publish-'));
await fs.chmod(work, 0o755);
const cleanups = [];

try {
  let databaseUrl = process.env.DATABASE_URL;
  const pgDir = path.join(work, 'pg');
  if (!databaseUrl) {
    const db = await startEmbeddedPostgres(pgDir);
    cleanups.push(() => db.stop());
    databaseUrl = db.url;
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SMTP_URL: '',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: path.join(work, 'data'),
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    RATE_LIMIT_SCALE: '1000',
  };
  const child = spawn(process.execPath, [dist('main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const serverLog = [];
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('is ready at')) resolve();
      // Unexpected errors are logged with their type: keep them to explain any failure.
      for (const line of String(d).split('\n')) if (line.includes('"level":50')) serverLog.push(line.slice(0, 400));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });

  const finess = luhn(`57${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`);
  const cliOut = await run([dist('cli.js'), 'facility', 'create', '--name', 'Centre du banc', '--finess', finess], env);
  const apiKey = /API key[^:]*:\s*(\S+)/.exec(cliOut)?.[1];
  if (!apiKey) throw new Error(`no API key printed:\n${cliOut}`);

  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  cleanups.push(() => sql.end());
  const total = SEQUENTIAL + EXAMS;
  const { rows: [facility] } = await sql.query(`select id from facility where finess = $1`, [finess]);
  const exams = Array.from({ length: total }, (_, i) => ({ i, study: uid(), report: uid(), rpps: rpps(i + 1) }));
  await sql.query('begin');
  await sql.query(
    `insert into app_user (id, role, email, rpps, first_name, last_name, status, failed_attempts, locale, email_notifications, created_at, activated_at)
     select gen_random_uuid(), 'PHYSICIAN', 'banc' || n || '@bench.e-mage.fr', r, 'Banc', 'Médecin ' || n, 'ACTIVE', 0, 'fr', true, now(), now()
       from unnest($1::text[]) with ordinality as t(r, n)`,
    [exams.map((e) => e.rpps)],
  );
  // What STOW-RS leaves: the study, an image series and a report series with its Encapsulated PDF.
  await sql.query(
    `with s as (
       insert into dicom_study (id, study_instance_uid, facility_id, modalities, created_at)
       select gen_random_uuid(), u, $3, '{CT,DOC}', now() from unnest($1::text[]) as t(u) returning id, study_instance_uid
     ), r as (
       insert into dicom_series (id, series_instance_uid, study_id, modality, created_at)
       select gen_random_uuid(), '2.25.' || (random() * 1e15)::bigint || '.' || row_number() over (), s.id, 'DOC', now() from s returning id, study_id
     )
     insert into dicom_instance (id, sop_instance_uid, series_id, sop_class_uid, transfer_syntax_uid, number_of_frames, storage_key, size, frames, metadata, created_at)
     select gen_random_uuid(), t.report, r.id, '1.2.840.10008.5.1.4.1.1.104.1', '1.2.840.10008.1.2.1', 0, 'bench/' || t.report, 1000, '[]', '{}', now()
       from unnest($1::text[], $2::text[]) as t(study, report) join s on s.study_instance_uid = t.study join r on r.study_id = s.id`,
    [exams.map((e) => e.study), exams.map((e) => e.report), facility.id],
  );
  await sql.query('commit');

  const date = new Date(Date.now() - 3600_000).toISOString();
  function input(e) {
    return {
      patient: { ipp: `BANC-${e.i}`, lastName: `Patient ${e.i}`, firstName: 'Banc', birthDate: '1970-01-01', sex: 'F', city: 'Nancy' },
      accessionNumber: `BANC-${e.i}`,
      studyInstanceUid: e.study,
      title: 'SCANNER THORACIQUE',
      date,
      prescriberRpps: e.rpps,
      correspondentRpps: [rpps(900000 + e.i), rpps(950000 + e.i)],
      documents: [
        { type: 'IMAGING', title: 'SCANNER THORACIQUE - (IMAGES)', date, studyInstanceUid: e.study },
        { type: 'REPORT', title: 'SCANNER THORACIQUE - (Compte-rendu)', date, studyInstanceUid: e.study, sopInstanceUid: e.report },
      ],
    };
  }
  const errors = [];
  async function publish(e) {
    const t0 = now();
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: 'mutation($input: PublishExamInput!) { publishExam(input: $input) { id } }', variables: { input: input(e) } }),
    });
    const body = await res.json();
    if (!body.data?.publishExam?.id) errors.push(JSON.stringify(body.errors));
    return now() - t0;
  }

  /** Publishes `list` with CONCURRENCY calls in flight; CPU, lock waits and wall time over the run. */
  async function phase(list) {
    const pgPids = process.env.DATABASE_URL ? [] : await postgresPids(pgDir);
    const lockSamples = { waiting: 0, active: 0, statements: new Map() };
    let sampling = true;
    const sampler = (async () => {
      const probe = new pg.Client({ connectionString: databaseUrl });
      await probe.connect();
      while (sampling) {
        const { rows } = await probe.query(
          `select wait_event_type = 'Lock' as waiting, left(regexp_replace(query, '\\s+', ' ', 'g'), 40) as statement
             from pg_stat_activity where state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()`,
        );
        for (const r of rows) {
          lockSamples.active++;
          if (!r.waiting) continue;
          lockSamples.waiting++;
          lockSamples.statements.set(r.statement, (lockSamples.statements.get(r.statement) ?? 0) + 1);
        }
        await sleep(20);
      }
      await probe.end();
    })();
    const cpu0 = [await cpuSeconds([child.pid]), await cpuSeconds(pgPids)];
    const load = loadavg();
    const latencies = [];
    const t0 = now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < list.length) latencies.push(await publish(list[next++]));
    }));
    const seconds = (now() - t0) / 1000;
    // Backends the pool opened during the phase: all of their CPU time is the phase's.
    const born = process.env.DATABASE_URL ? [] : (await postgresPids(pgDir)).filter((p) => !pgPids.includes(p));
    const cpu1 = [await cpuSeconds([child.pid]), (await cpuSeconds(pgPids)) + (await cpuSeconds(born))];
    sampling = false;
    await sampler;
    return {
      rate: list.length / seconds,
      seconds,
      latencies,
      load,
      serverCpuMs: ((cpu1[0] - cpu0[0]) * 1000) / list.length,
      pgCpuMs: pgPids.length ? ((cpu1[1] - cpu0[1]) * 1000) / list.length : NaN,
      lockWaitShare: lockSamples.active ? lockSamples.waiting / lockSamples.active : 0,
      waitingOn: [...lockSamples.statements].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([q, n]) => `${Math.round((100 * n) / lockSamples.waiting)} % "${q}…"`).join(', '),
    };
  }

  // Warm-up (JIT, pool, prepared plans), not measured: the first few sequential calls.
  const sequential = [];
  for (const e of exams.slice(0, SEQUENTIAL)) sequential.push(await publish(e));
  const first = await phase(exams.slice(SEQUENTIAL));
  const again = await phase(exams.slice(SEQUENTIAL));
  const { rows: [counts] } = await sql.query(
    `select (select count(*) from exam)::int as exams, (select count(*) from patient)::int as patients, (select count(*) from document)::int as documents,
            (select count(*) from exam_access)::int as rights, (select count(*) from notification)::int as notifications, (select count(*) from outbox_message)::int as mails`,
  );

  console.log(`node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, database: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}`);
  console.log(`each publication: 2 documents, 1 active prescriber (notified, e-mail queued), 2 pending correspondents`);
  console.log(`sequential (${SEQUENTIAL}, one at a time): ${latency(sequential.slice(5))} (first 5 not counted)`);
  for (const [name, r] of [['first publication', first], ['published again (updates)', again]]) {
    console.log(`${name}, ${EXAMS} exams, ${CONCURRENCY} in flight: ${r.rate.toFixed(1)} publications/s (${r.seconds.toFixed(1)} s), ${latency(r.latencies)}, load average at start ${r.load}`);
    console.log(`  CPU per publication: server ${r.serverCpuMs.toFixed(1)} ms, PostgreSQL ${Number.isNaN(r.pgCpuMs) ? 'n/a' : r.pgCpuMs.toFixed(1) + ' ms'}; backends waiting on a lock: ${(r.lockWaitShare * 100).toFixed(0)} % of active-backend samples${r.waitingOn ? ` (waiting in: ${r.waitingOn})` : ''}`);
  }
  console.log(`rows: ${JSON.stringify(counts)} (expected ${total} exams and patients, ${2 * total} documents, ${3 * total} rights, ${total} notifications and e-mails)`);
  console.log(`errors: ${errors.length}`);
  for (const e of [...new Set(errors)].slice(0, 3)) console.log(`  ${e}`);
  for (const l of serverLog.slice(0, 3)) console.log(`  server: ${l}`);
  const expected = { exams: total, patients: total, documents: 2 * total, rights: 3 * total, notifications: total, mails: total };
  if (errors.length > 0 || JSON.stringify(counts) !== JSON.stringify(expected)) process.exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await fs.rm(work, { recursive: true, force: true });
}
