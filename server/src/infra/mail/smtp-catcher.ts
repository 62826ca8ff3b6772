import { randomUUID } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtAttachment {
  filename: string | null;
  contentType: string;
  cid: string | null;
  contentBase64: string;
}

export interface CaughtMail {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments: CaughtAttachment[];
}

export interface SmtpCatcher {
  url: string;
  port: number;
  /** Newest first. */
  messages(): CaughtMail[];
  clear(): void;
  stop(): Promise<void>;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((o) => o.value.map((v) => v.address ?? '')).filter(Boolean);
}

/**
 * A real SMTP server on loopback that keeps what it receives in memory: the default mail
 * server of a development install, whose mailbox is readable at /dev/mailbox. It refuses
 * recipients in the reserved .invalid domain, as a real relay would.
 */
export async function startSmtpCatcher(opts: { port?: number; host?: string; max?: number } = {}): Promise<SmtpCatcher> {
  const host = opts.host ?? '127.0.0.1';
  const max = opts.max ?? 500;
  const store: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 25 * 1024 * 1024,
    // Like a real relay, it refuses what cannot exist (RFC 2606's .invalid): a developer or a
    // browser test can watch an invitation fail and « Mes partages » say so.
    onRcptTo(address, _session, callback) {
      if (/\.invalid$/i.test(address.address)) {
        return callback(Object.assign(new Error('5.1.2 Domain does not exist'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream, { keepCidLinks: true })
        .then((mail) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of mail.headers) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
          store.unshift({
            id: randomUUID(),
            receivedAt: new Date().toISOString(),
            from: addresses(mail.from)[0] ?? '',
            to: addresses(mail.to),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            headers,
            attachments: mail.attachments.map((att) => ({
              filename: att.filename ?? null,
              contentType: att.contentType,
              cid: att.cid ?? null,
              contentBase64: att.content.toString('base64'),
            })),
          });
          store.length = Math.min(store.length, max);
          callback();
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `smtp://${host}:${port}`,
    port,
    messages: () => [...store],
    clear: () => {
      store.length = 0;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
