import type { HttpModule } from '../http/modules.js';
import { escapeHtml } from './templates.js';
import type { CaughtMail } from './smtp-catcher.js';

/** Inline `cid:` images become data: URLs so the mail renders as the recipient would see it. */
function withInlineImages(mail: CaughtMail): string {
  return mail.html.replace(/(["'])cid:([^"']+)\1/g, (whole, quote: string, cid: string) => {
    const att = mail.attachments.find((a) => a.cid === cid);
    return att ? `${quote}data:${att.contentType};base64,${att.contentBase64}${quote}` : whole;
  });
}

function page(mails: CaughtMail[]): string {
  const items = mails
    .map(
      (m) => `<article class="mail" data-testid="mail">
  <header><h2>${escapeHtml(m.subject)}</h2>
  <p><strong>À :</strong> ${escapeHtml(m.to.join(', '))} — <strong>De :</strong> ${escapeHtml(m.from)} — <time datetime="${m.receivedAt}">${escapeHtml(new Date(m.receivedAt).toLocaleString('fr-FR'))}</time></p></header>
  ${m.html ? `<iframe title="${escapeHtml(m.subject)}" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(withInlineImages(m))}"></iframe>` : `<pre>${escapeHtml(m.text)}</pre>`}
</article>`,
    )
    .join('\n');
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Boîte de réception de développement — e-mage</title>
<style>body{font-family:system-ui,sans-serif;margin:0 auto;max-width:900px;padding:1rem;color:#1d2939}
.mail{border:1px solid #d0d5dd;border-radius:8px;margin:1rem 0;padding:1rem}.mail h2{margin:0;font-size:1.1rem}
iframe{width:100%;height:560px;border:1px solid #eaecf0;border-radius:4px;background:#fff}</style></head>
<body><h1>Boîte de réception de développement</h1>
<p>Les e-mails envoyés par le portail au serveur SMTP intégré (${mails.length}), du plus récent au plus ancien. Format JSON : <a href="/dev/mailbox/messages">/dev/mailbox/messages</a>.</p>
${items || '<p>Aucun message.</p>'}</body></html>`;
}

/** Only mounted when the built-in SMTP catcher is the mail server (never with SMTP_URL). */
export const devMailboxModule: HttpModule = {
  name: 'dev-mailbox',
  register(app, deps) {
    const catcher = deps.catcher;
    if (!catcher) return;
    app.get('/dev/mailbox', (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(page(catcher.messages()));
    });
    app.get('/dev/mailbox/messages', (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(catcher.messages());
    });
  },
};
