/**
 * node bench/dicomweb-ab.mjs — single frames (and the whole study) of two builds of the server and
 * the bench:dicomweb floor, measured in alternating rounds in the same run: on a machine shared
 * with other work, one build's figures minutes apart from another's say more about the machine
 * than about the change (issue 22, ADR 0141).
 *
 * The built server (server/dist) and, with AB_OLD=<dir>, a second build in server/<dir> (e.g. the
 * commit before a change: `git archive` its server/src, compile it with
 * `tsc -p tsconfig.build.json --outDir <repo>/server/dist-old`), on one embedded PostgreSQL and
 * one storage directory holding the demo generator's CT (64 slices of 512 kB), a physician granted
 * its study, and the floor server of bench/dicomweb.mjs (read from that file). Each round runs
 * AB_SECONDS (2) of single-frame GETs on AB_CONN (16) keep-alive connections against each, in
 * turn; AB_ROUNDS (3) rounds; each prints requests/s and the server's user, system and total CPU
 * per request (from /proc), then medians and minima. AB_STUDY=1 adds AB_STUDY_GETS (5) whole-study retrieves per
 * server and round (MB/s, CPU per MB); AB_FRAMES=0 skips the frames. AB_NODE_ARGS are given to
 * the new build and the floor (e.g. --perf-basic-prof), and AB_HOLD=1 prints their pids once warm
 * (for `perf record -p`).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from './lib/raw-load.mjs';
import { serverModules } from './lib/server-modules.mjs';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(repoRoot, 'server', 'dist', p);
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const STUDY_GETS = Number(process.env.AB_STUDY_GETS ?? 5);
const SECONDS = Number(process.env.AB_SECONDS ?? 3), ROUNDS = Number(process.env.AB_ROUNDS ?? 3), CONN = Number(process.env.AB_CONN ?? 16);
const { freePort, startEmbeddedPostgres, initOrm, createFacility, createApiKey, createUser, loadConfig, finessWithCheckDigit, generateCtSeries, newUid } = await serverModules(path.join(repoRoot, 'server', 'dist'));
const TICK = 1000 / 100;
const cpu = (pid, main = false) => { const f = readFileSync(main ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return { user: Number(f[11]) * TICK, sys: Number(f[12]) * TICK }; };
function multipart(files) {
  const boundary = `ab-${randomBytes(8).toString('hex')}`; const chunks = [];
  for (const f of files) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}
async function load(port, paths, headers, connections, seconds) {
  let n = 0; const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async (_, c) => {
    const conn = new Connection(port);
    try { for (let i = c; performance.now() < deadline; i++) { const { status } = await conn.get(paths[i % paths.length], headers); if (status !== 200) throw new Error(String(status)); n++; } } finally { conn.close(); }
  }));
  return n;
}
const floorSrc = readFileSync(path.join(repoRoot, 'bench/dicomweb.mjs'), 'utf8').match(/const FLOOR_SERVER = `([\s\S]*?)`;/)[1];
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-ab-')); await fs.chmod(dataDir, 0o755);
const embedded = await startEmbeddedPostgres(path.join(dataDir, 'postgres'), { database: 'emage_ab' });
const port = await freePort(); const url = `http://127.0.0.1:${port}`;
await fs.mkdir(path.join(dataDir, 'storage'));
const env = { ...process.env, NODE_ENV: 'production', PUBLIC_URL: 'https://bench.e-mage.test', TRUST_PROXY: '0', SMTP_URL: 'smtp://127.0.0.1:9', SMTP_ALLOW_PLAINTEXT: 'true', STORAGE_DIR: path.join(dataDir, 'storage'), HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: embedded.url, DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn', RATE_LIMIT_SCALE: '1000', SESSION_IDLE_MINUTES: '120' };
const server = spawn(process.execPath, [...(process.env.AB_NODE_ARGS ? process.env.AB_NODE_ARGS.split(' ') : []), dist('main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const oldPort = await freePort();
const old = process.env.AB_OLD ? spawn(process.execPath, [path.join(repoRoot, 'server', process.env.AB_OLD, 'main.js')], { env: { ...env, PORT: String(oldPort) }, stdio: ['ignore', 'ignore', 'inherit'] }) : undefined;
let floor;
try {
  for (let i = 0; !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) { if (i > 600) throw new Error('no start'); await new Promise((r) => setTimeout(r, 100)); }
  const orm = await initOrm(embedded.url, 2); const em = orm.em.fork();
  const facility = await createFacility(em, 'AB', finessWithCheckDigit(`6${String(Date.now() % 1e7).padStart(7, '0')}`));
  const { key } = await createApiKey(em, facility);
  const password = 'Profile-password-2026-dicomweb';
  const rpps = `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`; let sum = 0;
  for (let i = 0; i < 10; i++) { let d = Number(rpps[9 - i]) * (i % 2 === 0 ? 2 : 1); if (d > 9) d -= 9; sum += d; }
  const { user } = await createUser(em, loadConfig(env), { email: `ab-${Date.now()}@bench.e-mage.fr`, role: 'PHYSICIAN', firstName: 'A', lastName: 'B', rpps: rpps + String((10 - (sum % 10)) % 10), password });
  const login = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: user.email, p: password } }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const study = newUid();
  const ct = [...generateCtSeries({ context: { patient: { patientId: 'AB', name: { familyName: 'F', givenName: 'T' }, birthDate: '1970-01-01', sex: 'O' }, study: { studyInstanceUid: study, date: new Date(), accessionNumber: 'AB', studyId: '1', description: 'CT', institutionName: 'B' } } })];
  const { body, contentType } = multipart(ct.map((s) => s.data));
  const r = await fetch(`${url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body }); if (r.status !== 200) throw new Error(`STOW ${r.status}`); await r.arrayBuffer();
  await em.getConnection().execute(
    `with p as (insert into patient (id, first_name, last_name, search_name, created_at, updated_at) values (gen_random_uuid(), 'A', 'B', 'a b', now(), now()) returning id),
          e as (insert into exam (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
                select gen_random_uuid(), p.id, ?, ?, ?, 'AB', now(), '{}', 'PUBLISHED', now(), now() from p returning id)
     insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) select gen_random_uuid(), e.id, ?, 'ab', 'PRESCRIBER', now() from e`,
    [facility.id, `ACC-${randomBytes(6).toString('hex')}`, study, user.id]);
  await orm.close(true);
  const ctBytes = ct.reduce((n, i) => n + i.data.length, 0);
  const file = path.join(dataDir, 'floor.bin'); const frames = Math.ceil(ctBytes / 524288);
  await fs.writeFile(file, randomBytes(frames * 524288));
  floor = spawn(process.execPath, [...(process.env.AB_NODE_ARGS ? process.env.AB_NODE_ARGS.split(' ') : []), '--input-type=module', '-e', floorSrc, file, String(frames), String(ctBytes)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const floorPort = await new Promise((res) => floor.once('message', res));
  const headers = { cookie, accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' };
  const frameUrls = ct.map((i) => `/dicomweb/studies/${study}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}/frames/1`);
  const measure = async (pid, p, paths) => {
    const [c0, t0] = [cpu(pid), performance.now()]; const n = await load(p, paths, headers, CONN, SECONDS); const [c1, t1] = [cpu(pid), performance.now()];
    return { rps: Math.round(n / ((t1 - t0) / 1000)), user: round((c1.user - c0.user) / n), sys: round((c1.sys - c0.sys) / n), cpu: round((c1.user + c1.sys - c0.user - c0.sys) / n) };
  };
  await load(port, frameUrls, headers, CONN, 2); await load(floorPort, ['/frame'], headers, CONN, 2);
  if (old) { for (let i = 0; !(await fetch(`http://127.0.0.1:${oldPort}/readyz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100)); await load(oldPort, frameUrls, headers, CONN, 2); }
  if (process.env.AB_HOLD) {
    process.stderr.write(`ours pid ${server.pid} floor pid ${floor.pid}\n`);
    // AB_HOLD=<seconds>: time to attach perf or strace before the measures start.
    await new Promise((r) => setTimeout(r, (Number(process.env.AB_HOLD) || 0) * 1000));
  }
  const out = { ours: [], floor: [] };
  for (let i = 0; i < (process.env.AB_FRAMES === '0' ? 0 : ROUNDS); i++) {
    const o = await measure(server.pid, port, frameUrls); const f = await measure(floor.pid, floorPort, ['/frame']);
    const b = old ? await measure(old.pid, oldPort, frameUrls) : undefined;
    out.ours.push(o); out.floor.push(f); if (b) (out.old ??= []).push(b);
    process.stderr.write(`frames ours ${JSON.stringify(o)} floor ${JSON.stringify(f)}${b ? ` old ${JSON.stringify(b)}` : ''} ratio ${round(o.rps / f.rps, 2)} load ${os.loadavg()[0].toFixed(1)}\n`);
  }
  if (process.env.AB_STUDY) {
    const get = async (p, pathn, h) => new Promise((res, rej) => http.get({ host: '127.0.0.1', port: p, path: pathn, headers: h }, (rs) => { let b = 0; rs.on('data', (d) => (b += d.length)); rs.on('end', () => res(b)); }).on('error', rej));
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, pid, p, pathn, h] of [['ours', server.pid, port, `/dicomweb/studies/${study}`, { cookie, accept: 'multipart/related; type="application/dicom"' }], ['floor', floor.pid, floorPort, '/study', {}], ...(old ? [['old', old.pid, oldPort, `/dicomweb/studies/${study}`, { cookie, accept: 'multipart/related; type="application/dicom"' }]] : [])]) {
        const [c0, m0, t0] = [cpu(pid), cpu(pid, true), performance.now()]; let mb = 0; for (let k = 0; k < STUDY_GETS; k++) mb += (await get(p, pathn, h)) / 1e6; const [c1, m1, t1] = [cpu(pid), cpu(pid, true), performance.now()];
        process.stderr.write(`study ${name} MB/s ${Math.round(mb / ((t1 - t0) / 1000))} cpu ms/MB user ${round((c1.user - c0.user) / mb)} sys ${round((c1.sys - c0.sys) / mb)}; main thread user ${round((m1.user - m0.user) / mb)} sys ${round((m1.sys - m0.sys) / mb)}\n`);
      }
    }
  }
  const med = (xs, k) => { const v = xs.map((x) => x[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  const mn = (xs, k) => Math.min(...xs.map((x) => x[k]));
  for (const [name, xs] of Object.entries(out)) if (xs.length) process.stderr.write(`${name.padEnd(6)} user med ${med(xs, 'user')} min ${mn(xs, 'user')}  cpu med ${med(xs, 'cpu')} min ${mn(xs, 'cpu')}  rps med ${med(xs, 'rps')}\n`);
} finally {
  floor?.kill('SIGTERM'); old?.kill('SIGTERM'); server.kill('SIGTERM'); await new Promise((r) => server.once('exit', r)); await embedded.stop(); await fs.rm(dataDir, { recursive: true, force: true });
}
