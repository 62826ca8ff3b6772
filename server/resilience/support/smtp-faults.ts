import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/**
 * A real SMTP relay on loopback whose behaviour a test switches at run time, to play the mail
 * server of a bad day: down (nothing listens on its port), refusing (5xx to RCPT TO or to the
 * message), stalling (accepts the connection, the envelope and the message data, then never
 * answers), or healthy. It counts what it was offered and what it accepted, so a test can tell
 * "delivered exactly once" from "delivered twice" by Message-ID.
 */
export type RelayMode = 'accept' | 'down' | 'refuse-rcpt' | 'refuse-data' | 'stall';

export interface RelayedMail {
  messageId: string;
  to: string[];
  /** The whole message as the relay received it (headers and body). */
  raw: string;
  /** True when the session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
}

export interface FaultyRelay {
  port: number;
  /** smtp:// (STARTTLS offered when started with `tls`), or smtps:// with `implicitTls`. */
  url: string;
  mode(): RelayMode;
  setMode(mode: RelayMode): Promise<void>;
  /** Messages accepted with a 250 to their data, oldest first. */
  delivered(): RelayedMail[];
  /** MAIL FROM commands received: one per delivery attempt that reached the envelope. */
  attempts(): number;
  /** Sessions that sent their data and are waiting for an answer that will not come. */
  stalledNow(): number;
  stop(): Promise<void>;
}

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'smtp-tls');

/** The test relay's self-signed certificate (its own authority) and key, for 127.0.0.1. */
export const relayTls = {
  cert: fs.readFileSync(path.join(fixtures, 'cert.pem')),
  key: fs.readFileSync(path.join(fixtures, 'key.pem')),
  certFile: path.join(fixtures, 'cert.pem'),
};

function smtpError(message: string, responseCode: number): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

export interface FaultyRelayOptions {
  mode?: RelayMode;
  port?: number;
  /** Offer STARTTLS (smtp://) with the test certificate. */
  tls?: boolean;
  /** Speak TLS from the first byte (smtps://). */
  implicitTls?: boolean;
  /** Runs when a message is accepted, before the relay answers 250: a test injects a fault there. */
  onAccepted?: (mail: RelayedMail) => Promise<void> | void;
}

export async function startFaultyRelay(opts: FaultyRelayOptions = {}): Promise<FaultyRelay> {
  let mode: RelayMode = opts.mode ?? 'accept';
  const delivered: RelayedMail[] = [];
  let attempts = 0;
  const stalled = new Set<string>();
  let server: SMTPServer | undefined;
  let port = opts.port ?? 0;
  const withTls = opts.tls === true || opts.implicitTls === true;

  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: withTls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    secure: opts.implicitTls === true,
    ...(withTls ? { key: relayTls.key, cert: relayTls.cert } : {}),
    logger: false,
    closeTimeout: 200,
    onClose(session) {
      stalled.delete(session.id);
    },
    onMailFrom(_address, _session, callback) {
      attempts++;
      callback();
    },
    onRcptTo(_address, _session, callback) {
      if (mode === 'refuse-rcpt') return callback(smtpError('5.1.1 Recipient refused by the test relay', 550));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (mode === 'stall') {
          // Never answered: the session ends when the client gives up (or the relay stops).
          stalled.add(session.id);
          return;
        }
        if (mode === 'refuse-data') return callback(smtpError('5.7.1 Message refused by the test relay', 554));
        const raw = Buffer.concat(chunks).toString('utf8');
        const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw)?.[1] ?? '';
        const mail: RelayedMail = { messageId, to: session.envelope.rcptTo.map((r) => r.address), raw, secure: session.secure };
        delivered.push(mail);
        Promise.resolve(opts.onAccepted?.(mail)).then(
          () => callback(),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  };

  async function listen(): Promise<void> {
    const s = new SMTPServer(options);
    s.on('error', () => undefined);
    s.on('close', () => stalled.clear());
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = s.server.address();
    port = typeof addr === 'object' && addr ? addr.port : port;
    server = s;
  }

  async function close(): Promise<void> {
    const s = server;
    server = undefined;
    stalled.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  if (mode !== 'down') await listen();
  else {
    // Reserve a port now, so the URL is known before the relay ever comes up.
    await listen();
    await close();
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `${opts.implicitTls ? 'smtps' : 'smtp'}://127.0.0.1:${port}`;
    },
    mode: () => mode,
    async setMode(next) {
      const wasDown = mode === 'down';
      mode = next;
      if (next === 'down' && !wasDown) await close();
      else if (next !== 'down' && wasDown) await listen();
    },
    delivered: () => [...delivered],
    attempts: () => attempts,
    stalledNow: () => stalled.size,
    stop: close,
  };
}
