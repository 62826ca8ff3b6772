#!/usr/bin/env node
// node bench/frame-bytes.mjs — what handling the bytes of one 512 kB frame costs in JavaScript, in
// this Node.js (the V8 of Chromium's renderer, a few versions apart): copying them, and finding
// the end of a multipart part as cornerstone-wado-image-loader 4.13 does (docs/adr/0086).
//
// - Copies. On the virtual machines of this workplace the first touch of a page of memory costs
//   a page fault of several microseconds: filling a fresh buffer costs far more than a reused one,
//   and every copy of a frame on its way to the screen pays it.
// - The multipart scan. The loader's getPixelData looks for a part's closing boundary with
//   findIndexOfString (imageLoader/wadors/findIndexOfString.js, restated below), a JavaScript
//   loop over every byte; its first call runs before V8 has optimised it.
const FRAME = 512 * 1024;
const FRAMES = 64;
const src = new Uint8Array(FRAME + 100);
for (let i = 0; i < src.length; i++) src[i] = (i * 7919) & 0xff; // not a constant: the scan meets its first byte often
const view = src.subarray(37, 37 + FRAME); // a frame inside a larger answer, as the loader hands it

function median(fn) {
  const times = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < FRAMES; i++) fn();
    times.push((performance.now() - start) / FRAMES);
  }
  times.sort((a, b) => a - b);
  return `${times[2].toFixed(3)} ms`;
}

// cornerstone-wado-image-loader 4.13.2, imageLoader/wadors/findIndexOfString.js.
function checkToken(token, data, dataOffset) {
  if (dataOffset + token.length > data.length) return false;
  let endIndex = dataOffset;
  for (let i = 0; i < token.length; i++) if (token[i] !== data[endIndex++]) return false;
  return true;
}
function stringToUint8Array(str) {
  const uint = new Uint8Array(str.length);
  for (let i = 0, j = str.length; i < j; i++) uint[i] = str.charCodeAt(i);
  return uint;
}
function findIndexOfString(data, str, offset) {
  offset = offset || 0;
  const token = stringToUint8Array(str);
  for (let i = offset; i < data.length; i++) if (token[0] === data[i] && checkToken(token, data, i)) return i;
  return -1;
}
// The same search with the native Uint8Array.prototype.indexOf for the first byte (client/viewer/src/viewer/preview.ts).
function indexOfNative(data, token, from) {
  const first = token.charCodeAt(0);
  outer: for (let i = data.indexOf(first, from); i !== -1 && i + token.length <= data.length; i = data.indexOf(first, i + 1)) {
    for (let k = 1; k < token.length; k++) if (data[i + k] !== token.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

const answer = new Uint8Array(FRAME + 64);
answer.set(src.subarray(0, FRAME), 20);
const boundary = '--e-mage-7d0f3a9c21b4';
answer.set(new TextEncoder().encode(`\r\n${boundary}--`), FRAME + 20);

console.log(`512 kB per frame, median of 5 rounds of ${FRAMES} frames, Node ${process.version}`);
let start = performance.now();
const at = findIndexOfString(answer, boundary, 20);
const firstScan = performance.now() - start;
if (at !== FRAME + 22) throw new Error(`boundary found at ${at}`);
console.log(`the loader's boundary scan, first call: ${firstScan.toFixed(3)} ms`);
console.log(`the loader's boundary scan, optimised:  ${median(() => findIndexOfString(answer, boundary, 20))}`);
start = performance.now();
indexOfNative(answer, boundary, 20);
console.log(`native indexOf search, first call:      ${(performance.now() - start).toFixed(3)} ms`);
console.log(`native indexOf search, optimised:       ${median(() => indexOfNative(answer, boundary, 20))}`);
const keep = []; // kept alive, so that every allocation is fresh memory
const reused = new Uint8Array(FRAME);
console.log(`fill a fresh buffer (alloc + set):      ${median(() => { const b = new Uint8Array(FRAME); b.set(view); keep.push(b); })}`);
console.log(`fill a reused buffer (set):             ${median(() => reused.set(view))}`);
keep.length = 0;
console.log(`copy a view, new Uint8Array(view):      ${median(() => new Uint8Array(view))}`);
console.log(`copy a view, alloc + set:               ${median(() => { const b = new Uint8Array(view.length); b.set(view); return b; })}`);
