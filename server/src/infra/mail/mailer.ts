import type { ConnectionOptions } from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RenderedMail } from './templates.js';

export interface Mailer {
  send(to: string, mail: RenderedMail, headers: Record<string, string>): Promise<void>;
  /** The longest a send may take before it is abandoned (its connection destroyed). */
  readonly sendDeadlineMs: number;
  close(): void;
}

/** Why a send failed, in the terms the outbox and the sharing page need (never the relay's text). */
export type MailFailureKind = 'RECIPIENT_REFUSED' | 'MESSAGE_REFUSED' | 'TLS_UNAVAILABLE' | 'TIMEOUT' | 'UNREACHABLE';

export class MailSendError extends Error {
  constructor(
    message: string,
    readonly kind: MailFailureKind,
  ) {
    super(message);
    this.name = 'MailSendError';
  }
}

export interface MailerOptions {
  /** The built-in catcher on loopback: plaintext is its only language. */
  loopbackCatcher?: boolean;
  /** SMTP_ALLOW_PLAINTEXT: send without TLS when the relay offers none. */
  allowPlaintext?: boolean;
  /** Connection, greeting and per-read inactivity limit; a whole send is abandoned after 3×. */
  timeoutMs?: number;
  /** Extra TLS options (a test's own certificate authority). */
  tls?: ConnectionOptions;
}

interface SmtpError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
}

function classify(err: SmtpError): MailFailureKind {
  if (err.code === 'ETLS' || /STARTTLS/i.test(err.message)) return 'TLS_UNAVAILABLE';
  if (err.code === 'ETIMEDOUT') return 'TIMEOUT';
  if (err.responseCode !== undefined && err.responseCode >= 500) {
    return err.code === 'EENVELOPE' && /RCPT/i.test(err.command ?? '') ? 'RECIPIENT_REFUSED' : 'MESSAGE_REFUSED';
  }
  return 'UNREACHABLE';
}

/**
 * Every e-mail goes over real SMTP (the built-in catcher included), one connection per mail.
 * TLS is required: implicit with smtps://, STARTTLS with smtp:// (a relay that does not offer it
 * is an error), unless plaintext is explicitly allowed (ADR 0101). Every step has a time limit
 * and the whole send a deadline, after which the connection is destroyed: the outbox's lease on
 * the message outlives that deadline, so no other replica sends it while this one may still.
 */
export function createMailer(smtpUrl: string, from: string, opts: MailerOptions = {}): Mailer {
  const u = new URL(smtpUrl);
  const secure = u.protocol === 'smtps:';
  const plaintext = opts.loopbackCatcher === true || opts.allowPlaintext === true;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const sendDeadlineMs = 3 * timeoutMs;
  const auth = u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined;
  const connectionOptions: SMTPConnection.Options = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || (secure ? 465 : 25)),
    secure,
    requireTLS: !secure && !plaintext,
    ignoreTLS: opts.loopbackCatcher === true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    socketCloseTimeout: 0,
    tls: opts.tls,
  };

  function sendOnce(envelope: { from: string; to: string[] }, raw: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const conn = new SMTPConnection(connectionOptions);
      let settled = false;
      const finish = (err?: SmtpError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err) {
          conn.close();
          reject(err instanceof MailSendError ? err : new MailSendError(err.message, classify(err)));
        } else {
          conn.quit();
          resolve();
        }
      };
      const deadline = setTimeout(() => {
        const err: SmtpError = new Error(`mail not sent within ${sendDeadlineMs} ms`);
        err.code = 'ETIMEDOUT';
        finish(err);
      }, sendDeadlineMs);
      conn.on('error', (err: SmtpError) => finish(err));
      conn.connect((err) => {
        if (err) return finish(err);
        const afterLogin = (loginErr: SmtpError | null): void => {
          if (loginErr) return finish(loginErr);
          conn.send(envelope, raw, (sendErr) => finish(sendErr ?? undefined));
        };
        if (auth) conn.login(auth, afterLogin);
        else afterLogin(null);
      });
    });
  }

  return {
    sendDeadlineMs,
    async send(to, mail, headers) {
      const message = new MailComposer({
        from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers,
        messageId: headers['Message-ID'],
        attachments: mail.attachments?.map((a) => ({ ...a, contentDisposition: 'inline' as const })),
      }).compile();
      const raw = await message.build();
      const envelope = message.getEnvelope();
      await sendOnce({ from: envelope.from || from, to: envelope.to }, raw);
    },
    close: () => undefined,
  };
}
