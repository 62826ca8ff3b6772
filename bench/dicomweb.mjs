/**
 * npm run bench:dicomweb — DICOMweb throughput and memory on this machine.
 *
 * The built server (server/dist/main.js) runs in its own process on a free port, with its own
 * data dir and an embedded PostgreSQL (or DATABASE_URL, an empty database). The bench creates a
 * facility and its API key, a physician allowed to read every study, then:
 *  1. STOWs the corpus (../shared/corpus/files or CORPUS_DIR), a generated CT phantom (64 slices
 *     512×512 16-bit, the demo generator) and a 150-frame 512×512 16-bit instance: instances/s;
 *  2. single-frame WADO-RS requests/s with 16 connections (autocannon), on the CT slices;
 *  3. ms per frame inside the 150-frame instance (each frame requested alone, one connection);
 *  4. MB/s for a whole-study retrieve of the CT;
 *  5. QIDO-RS latency p50/p95 (study search by patient name, series of a study);
 *  6. the server's RSS while one study larger than 500 MB (generated here) streams to a client.
 *
 * Env: BENCH_DURATION (s per autocannon run, default 10), BENCH_BIG_MB (default 560), CORPUS_DIR.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(repoRoot, 'server', 'dist', p);
const corpusDir = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus/files');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 560);
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const log = (s) => process.stderr.write(`${s}\n`);

const { freePort, startEmbeddedPostgres } = await import(dist('infra/db/embedded-postgres.js'));
const { initOrm } = await import(dist('infra/db/orm.js'));
const { createFacility, createApiKey } = await import(dist('modules/facility/facility.service.js'));
const { createUser } = await import(dist('modules/auth/auth.service.js'));
const { loadConfig } = await import(dist('config.js'));
const { finessWithCheckDigit } = await import(dist('common/identifiers.js'));
const { generateCtSeries, newUid, writePart10 } = await import(dist('modules/demo/generator/index.js'));
const { el } = await import(dist('modules/demo/generator/dicom-writer.js'));
const { T, SopClass } = await import(dist('modules/demo/generator/dicom-tags.js'));

function multipart(files) {
  const boundary = `bench-${randomBytes(8).toString('hex')}`;
  const chunks = [];
  for (const f of files) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** A native 16-bit multi-frame instance; pixels are noise (the server never decodes them). */
function syntheticInstance(study, series, frames, rows = 512, columns = 512) {
  const sop = newUid();
  const pixels = new Uint16Array(randomBytes(rows * columns * frames * 2).buffer);
  const data = writePart10([
    el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
    el(T.SOPClassUID, 'UI', SopClass.CtImage), el(T.SOPInstanceUID, 'UI', sop), el(T.Modality, 'CS', 'CT'),
    el(T.PatientName, 'PN', 'BENCH^Étude'), el(T.PatientID, 'LO', 'BENCH-1'),
    el(T.StudyInstanceUID, 'UI', study), el(T.SeriesInstanceUID, 'UI', series),
    el(T.SamplesPerPixel, 'US', 1), el(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    el(T.NumberOfFrames, 'IS', String(frames)), el(T.Rows, 'US', rows), el(T.Columns, 'US', columns),
    el(T.BitsAllocated, 'US', 16), el(T.BitsStored, 'US', 16), el(T.HighBit, 'US', 15), el(T.PixelRepresentation, 'US', 0),
    el(T.PixelData, 'OW', pixels),
  ]);
  return { sop, study, series, data };
}

/** A valid RPPS (11 digits, Luhn key) unlikely to collide. */
function randomRpps() {
  const body = `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(body[9 - i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function corpusFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) { if (e.name !== 'malformed') walk(path.join(dir, e.name)); }
      else if (e.name.endsWith('.dcm')) out.push(readFileSync(path.join(dir, e.name)));
    }
  };
  walk(corpusDir);
  return out;
}

/** GET with node:http, counting bytes (undici's web streams would cost more than the server). */
function download(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function rssKb(pid) {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function main() {
  if (!existsSync(dist('main.js'))) throw new Error('Build the server first: npx turbo run build --filter=@e-mage/server');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-dicomweb-'));
  await fs.chmod(dataDir, 0o755);
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(path.join(dataDir, 'postgres'), { database: 'emage_bench' });
  const databaseUrl = process.env.DATABASE_URL ?? embedded.url;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, DATABASE_URL: databaseUrl, DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn', RATE_LIMIT_SCALE: '1000', SESSION_IDLE_MINUTES: '120' };
  const server = spawn(process.execPath, [dist('main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const results = {};
  try {
    for (let i = 0; ; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
      if (i > 600) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Setup through the services, as the CLI does: facility + key, physician.
    const orm = await initOrm(databaseUrl, 2);
    const em = orm.em.fork();
    const facility = await createFacility(em, 'Centre de bench', finessWithCheckDigit(`5${String(Date.now() % 1e7).padStart(7, '0')}`));
    const { key } = await createApiKey(em, facility);
    const password = 'Bench-password-2026-dicomweb';
    const { user } = await createUser(em, loadConfig(env), { email: `bench-${Date.now()}@bench.e-mage.fr`, role: 'PHYSICIAN', firstName: 'Bench', lastName: 'Physician', rpps: randomRpps(), password });
    const login = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: user.email, p: password } }) });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    if (!cookie) throw new Error(`login failed: ${await login.text()}`);
    const grant = async (study) => {
      await em.getConnection().execute(
        `with p as (insert into patient (id, first_name, last_name, search_name, created_at, updated_at) values (gen_random_uuid(), 'Bench', 'Patient', 'bench patient', now(), now()) returning id),
              e as (insert into exam (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
                    select gen_random_uuid(), p.id, ?, ?, ?, 'BENCH', now(), '{}', 'PUBLISHED', now(), now() from p returning id)
         insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) select gen_random_uuid(), e.id, ?, 'bench', 'PRESCRIBER', now() from e`,
        [facility.id, `ACC-${randomBytes(6).toString('hex')}`, study, user.id],
      );
    };
    const stow = async (files) => {
      const { body, contentType } = multipart(files);
      const res = await fetch(`${url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body });
      if (res.status !== 200 && res.status !== 202) throw new Error(`STOW ${res.status}: ${await res.text()}`);
      return res.json();
    };

    // 1. STOW: corpus, CT phantom, 150-frame instance.
    const corpus = corpusFiles();
    let t0 = performance.now();
    for (let i = 0; i < corpus.length; i += 20) await stow(corpus.slice(i, i + 20));
    const corpusSeconds = (performance.now() - t0) / 1000;
    const ctStudy = newUid();
    const context = { patient: { patientId: 'BENCH-CT', name: { familyName: 'Fantôme', givenName: 'Thorax' }, birthDate: '1970-01-01', sex: 'O' }, study: { studyInstanceUid: ctStudy, date: new Date(), accessionNumber: 'BENCH-CT', studyId: '1', description: 'SCANNER THORACIQUE', institutionName: 'Bench' } };
    const ct = [...generateCtSeries({ context })];
    t0 = performance.now();
    await stow(ct.map((i) => i.data));
    const ctSeconds = (performance.now() - t0) / 1000;
    const ctBytes = ct.reduce((n, i) => n + i.data.length, 0);
    const multi = syntheticInstance(newUid(), newUid(), 150);
    await stow([multi.data]);
    results.stow = {
      corpus: { instances: corpus.length, perSecond: round(corpus.length / corpusSeconds, 1) },
      ctPhantom: { instances: ct.length, mb: round(ctBytes / 1e6, 1), perSecond: round(ct.length / ctSeconds, 1), mbPerSecond: round(ctBytes / 1e6 / ctSeconds, 1) },
    };
    log(`STOW ${JSON.stringify(results.stow)}`);
    await grant(ctStudy);
    await grant(multi.study);
    const headers = { cookie, accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' };

    // 2. Single-frame requests/s, 16 connections, cycling over the CT slices.
    const frameUrls = ct.map((i) => `/dicomweb/studies/${ctStudy}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}/frames/1`);
    const cannon = await autocannon({ url, connections: 16, duration: DURATION, headers, requests: frameUrls.map((p) => ({ method: 'GET', path: p })) });
    results.singleFrame = { requestsPerSecond: round(cannon.requests.average, 0), latencyP50Ms: cannon.latency.p50, latencyP97_5Ms: cannon.latency.p97_5, non2xx: cannon.non2xx, errors: cannon.errors, frameBytes: 512 * 512 * 2 };
    log(`single frame ${JSON.stringify(results.singleFrame)}`);

    // 3. ms per frame inside the 150-frame instance: every frame alone, then all in one request.
    const multiBase = `${url}/dicomweb/studies/${multi.study}/series/${multi.series}/instances/${multi.sop}/frames/`;
    const latencies = [];
    for (let round2 = 0; round2 < 3; round2++) {
      for (let n = 1; n <= 150; n++) {
        const s = performance.now();
        const res = await download(multiBase + n, headers);
        if (res.status !== 200) throw new Error(`frame ${n}: ${res.status}`);
        latencies.push(performance.now() - s);
      }
    }
    latencies.sort((a, b) => a - b);
    t0 = performance.now();
    const allBytes = (await download(multiBase + Array.from({ length: 150 }, (_, i) => i + 1).join(','), headers)).bytes;
    const allMs = performance.now() - t0;
    results.multiFrame = { frames: 150, frameBytes: 512 * 512 * 2, msPerFrameAloneMean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length), msPerFrameAloneP50: round(percentile(latencies, 50)), msPerFrameAloneP95: round(percentile(latencies, 95)), msPerFrameInOneRequest: round(allMs / 150), oneRequestMb: round(allBytes / 1e6, 1) };
    log(`multi-frame ${JSON.stringify(results.multiFrame)}`);

    // 4. Whole-study retrieve of the CT (5 runs, best and mean).
    const studyRuns = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const { bytes } = await download(`${url}/dicomweb/studies/${ctStudy}`, { cookie, accept: 'multipart/related; type="application/dicom"' });
      studyRuns.push({ mb: bytes / 1e6, seconds: (performance.now() - s) / 1000 });
    }
    results.studyRetrieve = { mb: round(studyRuns[0].mb, 1), mbPerSecondMean: round(studyRuns.reduce((n, r) => n + r.mb / r.seconds, 0) / studyRuns.length, 0), mbPerSecondBest: round(Math.max(...studyRuns.map((r) => r.mb / r.seconds)), 0) };
    log(`study retrieve ${JSON.stringify(results.studyRetrieve)}`);

    // 5. QIDO latency, one connection, sequential.
    const qido = async (pathname) => {
      const times = [];
      for (let i = 0; i < 300; i++) {
        const s = performance.now();
        const res = await download(url + pathname, { cookie, accept: 'application/dicom+json' });
        if (res.status !== 200) throw new Error(`QIDO ${res.status}`);
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      return { p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)) };
    };
    results.qido = { studiesByPatientName: await qido('/dicomweb/studies?PatientName=fant*&StudyDate=19000101-'), seriesOfStudy: await qido(`/dicomweb/studies/${ctStudy}/series`), instancesOfSeries: await qido(`/dicomweb/studies/${ctStudy}/series/${ct[0].seriesInstanceUid}/instances`) };
    log(`QIDO ${JSON.stringify(results.qido)}`);

    // 6. RSS while streaming a study larger than 500 MB.
    const bigStudy = newUid();
    const bigSeries = newUid();
    const perInstanceFrames = 27; // 512×512×2×27 ≈ 14 MB
    const count = Math.ceil((BIG_MB * 1e6) / (512 * 512 * 2 * perInstanceFrames));
    for (let i = 0; i < count; i += 4) {
      await stow(Array.from({ length: Math.min(4, count - i) }, () => syntheticInstance(bigStudy, bigSeries, perInstanceFrames).data));
    }
    await grant(bigStudy);
    const idle = await rssKb(server.pid);
    let peak = idle;
    const sampler = setInterval(() => rssKb(server.pid).then((kb) => { peak = Math.max(peak, kb); }, () => undefined), 50);
    t0 = performance.now();
    const { bytes: bigBytes } = await download(`${url}/dicomweb/studies/${bigStudy}`, { cookie, accept: 'multipart/related; type="application/dicom"' });
    const bigSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    results.bigStudy = { instances: count, mb: round(bigBytes / 1e6, 0), seconds: round(bigSeconds, 2), mbPerSecond: round(bigBytes / 1e6 / bigSeconds, 0), serverRssBeforeMb: round(idle / 1024, 0), serverRssPeakMb: round(peak / 1024, 0) };
    log(`big study ${JSON.stringify(results.bigStudy)}`);
    await orm.close(true);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await embedded?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  results.machine = { cpus: os.cpus().length, memoryGb: round(os.totalmem() / 2 ** 30, 0), node: process.version, loadAverage1m: round(os.loadavg()[0], 1), date: new Date().toISOString() };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
