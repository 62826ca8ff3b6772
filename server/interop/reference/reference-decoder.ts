import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

/** pydicom + GDCM (Debian's python3-pydicom, python3-gdcm), one long-lived process. */
export interface ReferenceFrame {
  rows: number;
  columns: number;
  samples: number;
  dtype: string;
  photometric: string;
  data: Buffer;
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'decode-reference.py');

export class ReferenceDecoder {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor() {
    // Debian's interpreter, where python3-pydicom is installed (a pyenv python3 may come first on PATH).
    this.child = spawn('/usr/bin/python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.resume();
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async decode(file: string, frame = 0): Promise<ReferenceFrame | { error: string }> {
    this.child.stdin.write(`${JSON.stringify({ file, frame })}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the reference decoder exited');
    const out = JSON.parse(value) as Omit<ReferenceFrame, 'data'> & { data?: string; error?: string };
    if (out.error !== undefined) return { error: out.error };
    return { ...out, data: Buffer.from(out.data ?? '', 'base64') };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Reference sample values as numbers. */
export function referenceValues(ref: ReferenceFrame): ArrayLike<number> {
  const b = Buffer.from(ref.data);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  switch (ref.dtype) {
    case 'u1': return new Uint8Array(ab);
    case 'i1': return new Int8Array(ab);
    case 'u2': return new Uint16Array(ab);
    case 'i2': return new Int16Array(ab);
    case 'u4': return new Uint32Array(ab);
    case 'i4': return new Int32Array(ab);
    case 'f4': return new Float32Array(ab);
    case 'f8': return new Float64Array(ab);
    default: throw new Error(`unexpected reference dtype ${ref.dtype}`);
  }
}
