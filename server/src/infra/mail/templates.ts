import type { Config } from '../../config.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string; cid: string }>;
}

export type MailTemplate = (
  payload: Record<string, unknown>,
  ctx: { config: Config; locale: string },
) => RenderedMail | Promise<RenderedMail>;

const registry = new Map<string, MailTemplate>();

/** Each module registers its own templates next to its code. */
export function defineTemplate(name: string, template: MailTemplate): void {
  registry.set(name, template);
}

export function getTemplate(name: string): MailTemplate {
  const t = registry.get(name);
  if (!t) throw new Error(`Unknown mail template ${name}`);
  return t;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The common frame of every e-mail: the portal's name, the body, the support contact. */
export function layout(config: Config, locale: string, bodyHtml: string, bodyText: string): { html: string; text: string } {
  const fr = locale !== 'en';
  const support = fr
    ? `Besoin d'assistance ? Contactez le support ${config.supportLabel} : ${config.supportPhone} ou ${config.supportEmail}`
    : `Need help? Contact ${config.supportLabel} support: ${config.supportPhone} or ${config.supportEmail}`;
  const html = `<!doctype html><html lang="${fr ? 'fr' : 'en'}"><body style="font-family:Arial,sans-serif;color:#1d2939">
<div style="max-width:560px;margin:auto"><h1 style="color:#0b5cad;font-size:22px;margin-bottom:0">e-mage</h1>
<p style="margin-top:0;color:#475467">${fr ? 'Imagerie médicale partagée' : 'Shared medical imaging'}</p>
${bodyHtml}
<hr style="border:none;border-top:1px solid #d0d5dd"><p style="font-size:13px;color:#475467">${escapeHtml(support)}</p></div></body></html>`;
  const text = `e-mage — ${fr ? 'Imagerie médicale partagée' : 'Shared medical imaging'}\n\n${bodyText}\n\n--\n${support}\n`;
  return { html, text };
}
