// A replica's mail worker in a process of its own, so a test can kill it mid-send (SIGKILL).
// Usage: node outbox-replica.child.mjs <databaseUrl> <smtpUrl>
import { loadConfig } from '../../dist/config.js';
import { initOrm } from '../../dist/infra/db/orm.js';
import { createLogger } from '../../dist/infra/logger.js';
import { createMailer } from '../../dist/infra/mail/mailer.js';
import { OutboxWorker } from '../../dist/infra/mail/outbox.js';
import '../../dist/modules/notification/notification.service.js';

const [databaseUrl, smtpUrl] = process.argv.slice(2);
// A short SMTP timeout, so the claim this replica leaves behind when killed expires within the test.
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, SMTP_URL: smtpUrl, SEED_DEMO: 'false', SMTP_TIMEOUT_SECONDS: '1' });
const orm = await initOrm(databaseUrl, 2);
const worker = new OutboxWorker(orm, createMailer(smtpUrl, config.mailFrom, { loopbackCatcher: true, timeoutMs: config.smtpTimeoutMs }), config, createLogger('silent'), { pollMs: 50 });
worker.start();
process.stdout.write('started\n');
