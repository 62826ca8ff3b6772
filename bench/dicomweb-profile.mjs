/**
 * npm run bench:dicomweb-profile — where one DICOMweb request path spends the server's CPU.
 *
 * The built server (server/dist/main.js) runs in its own process with the inspector on a free
 * loopback port, on an embedded PostgreSQL (or DATABASE_URL, an empty database), as in
 * bench:dicomweb. The script creates a facility, its API key and a physician, STOWs the demo
 * generator's CT phantom (64 slices), grants the physician its study, then for each phase named in
 * PROFILE_PHASES (default: every one) starts V8's sampling profiler through the inspector
 * (Profiler.start), sends PROFILE_REQUESTS requests of that path on one keep-alive connection
 * (after 50 unprofiled ones), stops it and prints:
 *  - the server's and PostgreSQL's CPU per request over the phase (from /proc);
 *  - the profile's self time by group (our code by module, each dependency, Node's internals,
 *    garbage collection), the same groups inclusive (any of its functions on the synchronous
 *    stack: what a dependency costs with what it calls) and the heaviest functions, as a share
 *    of the samples taken while the server was not idle, and in µs per request.
 * With PROFILE_OUT=dir, each phase's .cpuprofile is written there (Chrome DevTools opens them).
 * With PROFILE_SAMPLING=0, no profiler runs: the CPU figures alone, for A/B comparisons.
 *
 * Phases: qido-studies, qido-series, qido-instances, qido-series-of-study, qido-instances-of-study,
 * qido-instances-of-series (the six QIDO-RS routes, as bench:dicomweb queries them), frame (one
 * 512 kB frame), study (the CT's whole study), instance (one of its instances: the retrieve route's
 * fixed cost), stow (the CT's 64 slices again, new UIDs, one
 * request: PROFILE_REQUESTS is then the number of requests, each of 64 instances).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Connection, cpuMsOf, postRaw, postgresCpuMs } from './lib/raw-load.mjs';
import { serverModules } from './lib/server-modules.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(repoRoot, 'server', 'dist', p);
const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 2000);
const ALL_PHASES = ['qido-studies', 'qido-series', 'qido-instances', 'qido-series-of-study', 'qido-instances-of-study', 'qido-instances-of-series', 'frame', 'study', 'instance', 'stow'];
const PHASES = (process.env.PROFILE_PHASES ?? ALL_PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
/** PROFILE_SAMPLING=0: the CPU figures alone, without the sampling profiler's own cost (A/B runs). */
const SAMPLING = process.env.PROFILE_SAMPLING !== '0';
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const log = (s) => process.stderr.write(`${s}\n`);

const { freePort, startEmbeddedPostgres, initOrm, createFacility, createApiKey, createUser, loadConfig, finessWithCheckDigit, generateCtSeries, newUid } = await serverModules(path.join(repoRoot, 'server', 'dist'));

/**
 * A process's user and system CPU so far, in ms (/proc/<pid>/stat utime and stime), and its
 * main thread's (the event loop's: what a request's parts wait for), user and system together.
 */
function userSystemMs(pid) {
  const fields = (file) => readFileSync(file, 'utf8').split(') ')[1].split(' ');
  const f = fields(`/proc/${pid}/stat`);
  const m = fields(`/proc/${pid}/task/${pid}/stat`);
  const tick = 1000 / 100;
  return { user: Number(f[11]) * tick, system: Number(f[12]) * tick, mainThread: (Number(m[11]) + Number(m[12])) * tick };
}

function multipart(files) {
  const boundary = `prof-${randomBytes(8).toString('hex')}`;
  const chunks = [];
  for (const f of files) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}


/** The inspector of the server process: Profiler.start / Profiler.stop. */
async function inspector(port) {
  let targets;
  for (let i = 0; i < 100 && !targets; i++) {
    targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json(), () => undefined);
    if (!targets) await new Promise((r) => setTimeout(r, 100));
  }
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const waiting = new Map();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.error) w.reject(new Error(message.error.message));
    else w.resolve(message.result);
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    waiting.set(++id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 100 });
  return { send, close: () => ws.close() };
}

/** Where a function's code comes from, for grouping self time. */
function groupOf(node) {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName === '(garbage collector)' ? 'GC' : functionName === '(program)' ? '(program: native, not attributed)' : functionName || '(anonymous native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const d = url.indexOf('/server/dist/');
  if (d >= 0) return `e-mage ${url.slice(d + 13).replace(/\.js$/, '')}`;
  return url;
}

/** Self time by group and by function, over the non-idle samples. */
function summarise(profile, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + us);
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groups = new Map();
  const functions = new Map();
  const inclusive = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node.callFrame.functionName === '(idle)') continue;
    busy += us;
    // Inclusive: every group on the (synchronous) stack of the sample, once.
    const onStack = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) onStack.add(groupOf(byId.get(at)));
    for (const g of onStack) inclusive.set(g, (inclusive.get(g) ?? 0) + us);
    const group = groupOf(node);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|server\/dist)\//, '')}:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => ({ [k]: `${round((100 * us) / busy, 1)} % · ${round(us / requests, 0)} µs/req` }));
  inclusive.delete('(root)');
  return { busyUsPerRequest: round(busy / requests, 0), groups: top(groups, 20), inclusive: top(inclusive, 25), functions: top(functions, 30) };
}

async function main() {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-dicomweb-profile-'));
  await fs.chmod(dataDir, 0o755);
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(path.join(dataDir, 'postgres'), { database: 'emage_profile' });
  const databaseUrl = process.env.DATABASE_URL ?? embedded.url;
  const [port, inspectPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  await fs.mkdir(path.join(dataDir, 'storage'));
  const env = {
    ...process.env, NODE_ENV: 'production', PUBLIC_URL: 'https://bench.e-mage.test', TRUST_PROXY: '0', SMTP_URL: 'smtp://127.0.0.1:9', SMTP_ALLOW_PLAINTEXT: 'true',
    STORAGE_DIR: path.join(dataDir, 'storage'), HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn',
    RATE_LIMIT_SCALE: '1000', SESSION_IDLE_MINUTES: '120',
  };
  const server = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, dist('main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.on('data', (d) => { if (!/Debugger|inspector|For help/.test(String(d))) process.stderr.write(d); });
  const results = {};
  try {
    for (let i = 0; ; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
      if (i > 600) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const orm = await initOrm(databaseUrl, 2);
    const em = orm.em.fork();
    const facility = await createFacility(em, 'Centre de profil', finessWithCheckDigit(`6${String(Date.now() % 1e7).padStart(7, '0')}`));
    const { key } = await createApiKey(em, facility);
    const password = 'Profile-password-2026-dicomweb';
    const rpps = `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
    let sum = 0;
    for (let i = 0; i < 10; i++) { let d = Number(rpps[9 - i]) * (i % 2 === 0 ? 2 : 1); if (d > 9) d -= 9; sum += d; }
    const { user } = await createUser(em, loadConfig(env), { email: `profile-${Date.now()}@bench.e-mage.fr`, role: 'PHYSICIAN', firstName: 'Profil', lastName: 'Physician', rpps: rpps + String((10 - (sum % 10)) % 10), password });
    const login = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: user.email, p: password } }) });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    if (!cookie) throw new Error(`login failed: ${await login.text()}`);
    const ctOf = () => {
      const study = newUid();
      const context = { patient: { patientId: 'PROF-CT', name: { familyName: 'Fantôme', givenName: 'Thorax' }, birthDate: '1970-01-01', sex: 'O' }, study: { studyInstanceUid: study, date: new Date(), accessionNumber: `PROF-${randomBytes(4).toString('hex')}`, studyId: '1', description: 'SCANNER THORACIQUE', institutionName: 'Bench' } };
      return { study, slices: [...generateCtSeries({ context })] };
    };
    const stow = async (files) => {
      // Sent in one write with node:http, as bench:dicomweb does (fetch cost the client 6-7 ms of
      // CPU per 512 kB instance, on the cores the server runs on).
      const { body, contentType } = Array.isArray(files) ? multipart(files) : files;
      const res = await postRaw(`${url}/dicomweb/studies`, { authorization: `Bearer ${key}`, 'content-type': contentType }, body);
      if (res.status !== 200) throw new Error(`STOW ${res.status}: ${res.text}`);
    };
    const ct = ctOf();
    await stow(ct.slices.map((s) => s.data));
    await em.getConnection().execute(
      `with p as (insert into patient (id, first_name, last_name, search_name, created_at, updated_at) values (gen_random_uuid(), 'Profil', 'Patient', 'profil patient', now(), now()) returning id),
            e as (insert into exam (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
                  select gen_random_uuid(), p.id, ?, ?, ?, 'PROFILE', now(), '{}', 'PUBLISHED', now(), now() from p returning id)
       insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) select gen_random_uuid(), e.id, ?, 'profile', 'PRESCRIBER', now() from e`,
      [facility.id, `ACC-${randomBytes(6).toString('hex')}`, ct.study, user.id],
    );
    await orm.close(true);

    const series = ct.slices[0].seriesInstanceUid;
    const json = { cookie, accept: 'application/dicom+json' };
    const gets = {
      'qido-studies': [`/dicomweb/studies?PatientName=fant*&StudyDate=19000101-`, json],
      'qido-series': [`/dicomweb/series?StudyInstanceUID=${ct.study}`, json],
      'qido-instances': [`/dicomweb/instances?SeriesInstanceUID=${series}`, json],
      'qido-series-of-study': [`/dicomweb/studies/${ct.study}/series`, json],
      'qido-instances-of-study': [`/dicomweb/studies/${ct.study}/instances`, json],
      'qido-instances-of-series': [`/dicomweb/studies/${ct.study}/series/${series}/instances`, json],
      frame: [`/dicomweb/studies/${ct.study}/series/${series}/instances/${ct.slices[32].sopInstanceUid}/frames/1`, { cookie, accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' }],
      study: [`/dicomweb/studies/${ct.study}`, { cookie, accept: 'multipart/related; type="application/dicom"' }],
      instance: [`/dicomweb/studies/${ct.study}/series/${series}/instances/${ct.slices[32].sopInstanceUid}`, { cookie, accept: 'multipart/related; type="application/dicom"' }],
    };
    const profiler = await inspector(inspectPort);
    const pgDir = path.join(dataDir, 'postgres');
    for (const phase of PHASES) {
      let run;
      let requests = REQUESTS;
      if (phase === 'stow') {
        const bodies = Array.from({ length: REQUESTS }, () => multipart(ctOf().slices.map((s) => s.data)));
        await stow(ctOf().slices.map((s) => s.data));
        run = async () => { for (const b of bodies) await stow(b); };
        requests = REQUESTS * 64;
      } else {
        const [pathname, headers] = gets[phase] ?? (() => { throw new Error(`unknown phase ${phase}`); })();
        const connection = new Connection(port);
        const { status } = await connection.get(pathname, headers);
        if (status !== 200) throw new Error(`${phase}: ${status}`);
        for (let i = 0; i < 50; i++) await connection.get(pathname, headers);
        run = async () => {
          for (let i = 0; i < REQUESTS; i++) {
            const { status: s } = await connection.get(pathname, headers);
            if (s !== 200) throw new Error(`${phase}: ${s}`);
          }
          connection.close();
        };
      }
      if (SAMPLING) await profiler.send('Profiler.start');
      const [server0, pg0, t0, split0] = [cpuMsOf(server.pid), embedded ? postgresCpuMs(pgDir) : NaN, performance.now(), userSystemMs(server.pid)];
      await run();
      const [server1, pg1, t1, split1] = [cpuMsOf(server.pid), embedded ? postgresCpuMs(pgDir) : NaN, performance.now(), userSystemMs(server.pid)];
      const { profile } = SAMPLING ? await profiler.send('Profiler.stop') : { profile: undefined };
      if (process.env.PROFILE_OUT && profile) {
        await fs.mkdir(process.env.PROFILE_OUT, { recursive: true });
        await fs.writeFile(path.join(process.env.PROFILE_OUT, `${phase}.cpuprofile`), JSON.stringify(profile));
      }
      const unit = phase === 'stow' ? 'instance' : 'request';
      results[phase] = {
        [`${unit}s`]: requests,
        [`msPer${unit[0].toUpperCase()}${unit.slice(1)}`]: round((t1 - t0) / requests, 3),
        [`cpuMsPer${unit[0].toUpperCase()}${unit.slice(1)}`]: { server: round((server1 - server0) / requests, 3), postgres: round((pg1 - pg0) / requests, 3) },
        // The server's CPU split: user (JavaScript, hashing, parsing) and system (the kernel: socket reads, page-cache writes, flushes).
        serverUserSystemMs: { user: round((split1.user - split0.user) / requests, 3), system: round((split1.system - split0.system) / requests, 3), mainThread: round((split1.mainThread - split0.mainThread) / requests, 3) },
        profile: profile ? summarise(profile, requests) : 'PROFILE_SAMPLING=0',
      };
      log(`${phase} ${JSON.stringify(results[phase].cpuMsPerRequest ?? results[phase].cpuMsPerInstance)}`);
    }
    profiler.close();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await embedded?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  results.machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverage1m: round(os.loadavg()[0], 1), date: new Date().toISOString() };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
