import { randomBytes } from 'node:crypto';
import { MultipartLimitError, MultipartParseError } from './errors.js';

/**
 * multipart/related (RFC 2387 over RFC 2046) for STOW-RS request bodies and WADO-RS responses.
 * The parser is streaming: `multipartEvents` holds a boundary's worth of look-ahead and hands
 * each part's bytes on as they arrive; `parseMultipartRelated` collects one part at a time.
 */

/** What `multipartEvents` reports, in order: a part's headers, its bytes in pieces, its end. */
export type MultipartEvent =
  | { kind: 'part'; headers: Record<string, string>; contentType: string | undefined }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'end' };

export interface MultipartPart {
  /** Header names in lower case; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  /** The part's Content-Type, undefined when absent (then the root's `type=` applies, RFC 2387). */
  contentType: string | undefined;
  body: Buffer;
}

export interface MultipartLimits {
  /** Largest accepted part body, in bytes. */
  maxPartBytes: number;
  /** Largest accepted request body (preamble, headers and epilogue included), in bytes. */
  maxTotalBytes: number;
}

/** Parameters of a Content-Type header, names in lower case, quoted values unquoted. */
export function parseContentType(header: string): { mediaType: string; parameters: Record<string, string> } {
  const semicolon = header.indexOf(';');
  const mediaType = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  const parameters: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  const rest = semicolon === -1 ? '' : header.slice(semicolon);
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const name = (m[1] ?? '').toLowerCase();
    parameters[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { mediaType, parameters };
}

/**
 * Longest boundary accepted. RFC 2046 says 70, but senders exceed it (Orthanc's is 73: two UUIDs)
 * and refusing them refuses the PACS; the look-ahead a boundary costs stays tiny either way
 * (docs/adr/0099-stow-rs-for-real-senders.md).
 */
export const MAX_BOUNDARY_LENGTH = 256;

/** The boundary of a multipart Content-Type header (quoted or not), or undefined. */
export function boundaryFromContentType(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const { mediaType, parameters } = parseContentType(header);
  const boundary = parameters.boundary;
  // An empty boundary would match everywhere.
  if (!mediaType.startsWith('multipart/') || !boundary || boundary.length > MAX_BOUNDARY_LENGTH) return undefined;
  return boundary;
}

/** A fresh boundary that cannot occur in binary content by chance (128 random bits). */
export function newBoundary(): string {
  return `emage-${randomBytes(16).toString('hex')}`;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const MAX_HEADER_BYTES = 16 * 1024;

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';

/**
 * Parses a multipart/related body as it arrives, one part at a time held whole (see
 * `multipartEvents` for bodies that must not be held).
 */
export async function* parseMultipartRelated(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): AsyncGenerator<MultipartPart, void, undefined> {
  let current: { headers: Record<string, string>; contentType: string | undefined; chunks: Buffer[] } | undefined;
  for await (const event of multipartEvents(body, boundary, limits)) {
    if (event.kind === 'part') current = { headers: event.headers, contentType: event.contentType, chunks: [] };
    else if (event.kind === 'data') current?.chunks.push(event.chunk);
    else if (current) {
      const { chunks } = current;
      yield { headers: current.headers, contentType: current.contentType, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) };
      current = undefined;
    }
  }
}

/**
 * Parses a multipart/related body as it arrives and reports each part's bytes as they come,
 * holding no more than a boundary's worth of look-ahead (and a part's headers). Tolerates a
 * preamble, transport padding after a boundary, parts without headers, bare LF line endings, and
 * a closing `--boundary--` with no line break after it. Reads the body to its end, epilogue
 * included. Throws MultipartLimitError (→ 413) when a limit is passed and MultipartParseError
 * (→ 400) on a body that never opens or never closes.
 */
export async function* multipartEvents(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): AsyncGenerator<MultipartEvent, void, undefined> {
  if (!boundary) throw new MultipartParseError('NO_BOUNDARY', 'The multipart boundary is empty.');
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  // Inside a part the delimiter is preceded by a line break; searching for LF + "--boundary"
  // finds both CRLF and bare-LF delimiters, and the CR, if any, is trimmed from the body.
  const delimiter = Buffer.concat([Buffer.from([LF]), dashBoundary]);

  let state = 'preamble' as State; // 'as': step() mutates it, TS would narrow it to the initial value
  let window: Buffer = Buffer.alloc(0); // bytes received but not consumed yet
  let total = 0;
  let partBytes = 0;
  let events: MultipartEvent[] = [];
  let atStart = true; // a delimiter at the very start of the body needs no preceding line break

  const takeBody = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    partBytes += bytes.length;
    if (partBytes > limits.maxPartBytes) throw new MultipartLimitError('maxPartBytes', partBytes);
    events.push({ kind: 'data', chunk: bytes });
  };

  // Runs the state machine on `window` as far as it can, queueing events; 'more' when more
  // bytes are needed.
  const step = (final: boolean): 'more' | 'continue' => {
    switch (state) {
      case 'preamble': {
        if (atStart && window.length >= dashBoundary.length) {
          atStart = false;
          if (window.subarray(0, dashBoundary.length).equals(dashBoundary)) {
            window = window.subarray(dashBoundary.length);
            state = 'afterDelimiter';
            return 'continue';
          }
        }
        if (atStart) return 'more';
        const at = window.indexOf(delimiter);
        if (at === -1) {
          // Keep just enough to recognise a delimiter split across chunks.
          window = window.subarray(Math.max(0, window.length - delimiter.length + 1));
          return 'more';
        }
        window = window.subarray(at + delimiter.length);
        state = 'afterDelimiter';
        return 'continue';
      }
      case 'afterDelimiter': {
        if (window.length < 2) return final ? closeMissing() : 'more';
        if (window[0] === DASH && window[1] === DASH) {
          state = 'done';
          return 'continue';
        }
        // Transport padding (RFC 2046: linear white space) then the line break.
        let i = 0;
        while (i < window.length && (window[i] === 0x20 || window[i] === 0x09)) i++;
        if (i === window.length) return final ? closeMissing() : 'more';
        if (window[i] === CR) {
          if (i + 1 >= window.length) return final ? closeMissing() : 'more';
          if (window[i + 1] !== LF) throw new MultipartParseError('BAD_HEADERS', 'A multipart boundary line has trailing characters.');
          i += 2;
        } else if (window[i] === LF) {
          i += 1;
        } else {
          throw new MultipartParseError('BAD_HEADERS', 'A multipart boundary line has trailing characters.');
        }
        window = window.subarray(i);
        state = 'headers';
        return 'continue';
      }
      case 'headers': {
        // An empty line right away: a part without headers.
        let headerEnd = -1;
        let bodyStart = -1;
        if (window.length >= 1 && window[0] === LF) {
          headerEnd = 0;
          bodyStart = 1;
        } else if (window.length >= 2 && window[0] === CR && window[1] === LF) {
          headerEnd = 0;
          bodyStart = 2;
        } else {
          const crlf = window.indexOf('\n\r\n', 0, 'latin1');
          const lflf = window.indexOf('\n\n', 0, 'latin1');
          if (crlf !== -1 && (lflf === -1 || crlf < lflf)) {
            headerEnd = crlf;
            bodyStart = crlf + 3;
          } else if (lflf !== -1) {
            headerEnd = lflf;
            bodyStart = lflf + 2;
          }
        }
        if (headerEnd === -1) {
          if (window.length > MAX_HEADER_BYTES) throw new MultipartParseError('BAD_HEADERS', 'The headers of a multipart part are too long.');
          return final ? closeMissing() : 'more';
        }
        const headers = parseHeaders(window.subarray(0, headerEnd).toString('latin1'));
        events.push({ kind: 'part', headers, contentType: headers['content-type'] });
        window = window.subarray(bodyStart);
        partBytes = 0;
        state = 'body';
        return 'continue';
      }
      case 'body': {
        let from = 0;
        for (;;) {
          const at = window.indexOf(delimiter, from);
          if (at === -1) break;
          const after = at + delimiter.length;
          if (after >= window.length) {
            // Need the next byte to tell a delimiter from content that happens to look like one.
            const keepFrom = at > 0 && window[at - 1] === CR ? at - 1 : at;
            takeBody(window.subarray(0, keepFrom));
            window = window.subarray(keepFrom);
            return final ? closeMissing() : 'more';
          }
          const next = window[after];
          if (next === DASH || next === CR || next === LF || next === 0x20 || next === 0x09) {
            const end = at > 0 && window[at - 1] === CR ? at - 1 : at;
            takeBody(window.subarray(0, end));
            window = window.subarray(after);
            state = 'afterDelimiter';
            events.push({ kind: 'end' });
            return 'continue';
          }
          from = at + 1;
        }
        if (final) return closeMissing();
        // Everything but a possible partial delimiter (and the CR before it) belongs to the body.
        const keep = Math.min(window.length, delimiter.length);
        takeBody(window.subarray(0, window.length - keep));
        window = window.subarray(window.length - keep);
        return 'more';
      }
      case 'done':
        return 'more';
    }
  };

  /**
   * Whether the bytes kept from a part (`tail`, at most a delimiter's length) are all body
   * whatever follows: no delimiter starts in them nor right after them (where a CR before it
   * would not be body). Decided on the tail and the first bytes of `next`, copied alone.
   */
  const tailIsBody = (tail: Buffer, next: Buffer): boolean => {
    if (tail.length > delimiter.length || next.length <= delimiter.length) return false;
    const seam = Buffer.concat([tail, next.subarray(0, delimiter.length + 1)]);
    const at = seam.indexOf(delimiter);
    return at === -1 || at > tail.length;
  };

  const closeMissing = (): never => {
    if (state === 'preamble') throw new MultipartParseError('NO_BOUNDARY', 'The body contains no multipart boundary.');
    throw new MultipartParseError('MISSING_CLOSING_BOUNDARY', 'The multipart body ends before its closing boundary.');
  };

  const drain = function* (final: boolean): Generator<MultipartEvent> {
    for (;;) {
      if (state === 'done' || step(final) === 'more') break;
    }
    if (final && state !== 'done') closeMissing();
    const ready = events;
    events = [];
    yield* ready;
  };

  for await (const chunk of body) {
    total += chunk.length;
    if (total > limits.maxTotalBytes) throw new MultipartLimitError('maxTotalBytes', total);
    if (state === 'done') continue; // the epilogue is ignored but still counted
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (window.length === 0) window = bytes;
    else if (state === 'body' && tailIsBody(window, bytes)) {
      // Inside a part, what is left of the last chunk is a delimiter's length at most: when no
      // delimiter starts in it, it is handed on as is and the new chunk becomes the window,
      // uncopied (a copy of every byte cost more than the rest of the parsing: ADR 0138).
      takeBody(window);
      window = bytes;
    } else {
      // One copy of each byte at most: the window stays small except while headers accumulate.
      window = Buffer.concat([window, bytes]);
    }
    yield* drain(false);
  }
  if (state !== 'done') yield* drain(true);
  if (state !== 'done') closeMissing();
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Folded header lines (leading white space) continue the previous one (RFC 5322 2.2.3).
  const lines = block.split(/\r?\n/).reduce<string[]>((acc, line) => {
    if (/^[ \t]/.test(line) && acc.length > 0) acc[acc.length - 1] += ` ${line.trim()}`;
    else if (line !== '') acc.push(line);
    return acc;
  }, []);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartParseError('BAD_HEADERS', 'A multipart part has a malformed header line.');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

export interface OutgoingPart {
  contentType: string;
  headers?: Record<string, string>;
  body: Buffer | Uint8Array | AsyncIterable<Uint8Array>;
}

/**
 * Serialises parts as a multipart/related body (CRLF line breaks, closing boundary followed by
 * CRLF). Part bodies given as streams are passed through chunk by chunk.
 */
export async function* multipartRelatedStream(
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  boundary: string,
): AsyncGenerator<Buffer, void, undefined> {
  let first = true;
  for await (const part of parts) {
    const lines = [`${first ? '' : '\r\n'}--${boundary}`, `Content-Type: ${part.contentType}`];
    for (const [name, value] of Object.entries(part.headers ?? {})) {
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${name} contains a line break`);
      lines.push(`${name}: ${value}`);
    }
    yield Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    first = false;
    const { body } = part;
    if (body instanceof Uint8Array) {
      yield Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    } else {
      for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  yield Buffer.from(`${first ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1');
}
