import { createRequire } from 'node:module';

/**
 * The WebAssembly codecs the viewer decodes with in the browser (libjpeg-turbo, CharLS,
 * OpenJPEG), loaded once per thread in Node. Each factory finds its .wasm beside its .js.
 */
const require = createRequire(import.meta.url);

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete?(): void;
}
type Factory<M> = () => Promise<M>;

function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

const libjpeg = lazy(async () => {
  const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as Factory<{ JPEGDecoder: new () => WasmDecoder }>;
  return new (await factory()).JPEGDecoder();
});
const charls = lazy(async () => {
  const factory = require('@cornerstonejs/codec-charls/decodewasmjs') as Factory<{ JpegLSDecoder: new () => WasmDecoder }>;
  return new (await factory()).JpegLSDecoder();
});
const openjpeg = lazy(async () => {
  const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as Factory<{ J2KDecoder: new () => WasmDecoder }>;
  return new (await factory()).J2KDecoder();
});

export interface CodecOutput {
  info: FrameInfo;
  /** A copy: the codec's own buffer is reused by the next call. */
  data: Uint8Array;
  /** JPEG-LS: 0 when the components come one plane after another. */
  interleaveMode?: number;
}

function run(decoder: WasmDecoder, bytes: Uint8Array): CodecOutput {
  decoder.getEncodedBuffer(bytes.length).set(bytes);
  decoder.decode();
  // A copy as a plain Uint8Array (the codecs hand out a clamped view of their own memory).
  return { info: decoder.getFrameInfo(), data: new Uint8Array(decoder.getDecodedBuffer()), interleaveMode: decoder.getInterleaveMode?.() };
}

export async function decodeJpegBaseline(bytes: Uint8Array): Promise<CodecOutput> {
  return run(await libjpeg(), bytes);
}
export async function decodeJpegLs(bytes: Uint8Array): Promise<CodecOutput> {
  return run(await charls(), bytes);
}
export async function decodeJpeg2000(bytes: Uint8Array): Promise<CodecOutput> {
  return run(await openjpeg(), bytes);
}
