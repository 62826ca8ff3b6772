import nodemailer, { type Transporter } from 'nodemailer';
import type { RenderedMail } from './templates.js';

export interface Mailer {
  send(to: string, mail: RenderedMail, headers: Record<string, string>): Promise<void>;
  close(): void;
}

/** Every e-mail goes through nodemailer over real SMTP (the built-in catcher included). */
export function createMailer(smtpUrl: string, from: string, opts: { loopbackCatcher?: boolean } = {}): Mailer {
  const u = new URL(smtpUrl);
  const transport: Transporter = nodemailer.createTransport({
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 25)),
    secure: u.protocol === 'smtps:',
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    ignoreTLS: opts.loopbackCatcher === true || u.searchParams.get('ignoreTLS') === 'true',
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(to, mail, headers) {
      await transport.sendMail({
        from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers,
        messageId: headers['Message-ID'],
        attachments: mail.attachments?.map((a) => ({ ...a, contentDisposition: 'inline' as const })),
      });
    },
    close: () => transport.close(),
  };
}
