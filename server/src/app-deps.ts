import type { Config } from './config.js';
import type { Orm } from './infra/db/orm.js';
import type { Logger } from './infra/logger.js';
import type { SmtpCatcher } from './infra/mail/smtp-catcher.js';
import type { OutboxWorker } from './infra/mail/outbox.js';
import type { PgPubSub } from './infra/pubsub/pg-pubsub.js';
import type { Storage } from './infra/storage/storage.js';

/** Process-wide collaborators, built once at start and shared by every request. */
export interface AppDeps {
  config: Config;
  orm: Orm;
  logger: Logger;
  pubsub: PgPubSub;
  outbox: OutboxWorker;
  storage: Storage;
  /** Present only when the built-in SMTP catcher is the mail server. */
  catcher?: SmtpCatcher;
}
