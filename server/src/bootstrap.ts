import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from './app-deps.js';
import { createApp, type RunningApp } from './app.js';
import type { Config } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './infra/db/embedded-postgres.js';
import { initOrm, migrate } from './infra/db/orm.js';
import { createLogger, type Logger } from './infra/logger.js';
import { createMailer } from './infra/mail/mailer.js';
import { OutboxWorker, type OutboxWorkerOptions } from './infra/mail/outbox.js';
import { startSmtpCatcher } from './infra/mail/smtp-catcher.js';
import { PgPubSub } from './infra/pubsub/pg-pubsub.js';
import { S3Storage } from './infra/storage/s3-storage.js';
import { STAGING_SWEEP_MS, sweepStagedFiles } from './infra/storage/staging.js';
import { FileStorage, type Storage } from './infra/storage/storage.js';

export interface Services {
  deps: AppDeps;
  databaseUrl: string;
  embedded?: EmbeddedDatabase;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Tests and the CLI may skip the mail worker. */
  outbox?: OutboxWorkerOptions & { start?: boolean };
  poolMax?: number;
}

/** Database (embedded unless DATABASE_URL), migrations, storage, mail, events. */
export async function startServices(config: Config, opts: StartOptions = {}): Promise<Services> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const stops: Array<() => Promise<void> | void> = [];
  try {
    let embedded: EmbeddedDatabase | undefined;
    let databaseUrl = config.databaseUrl;
    // loadConfig refuses production without DATABASE_URL or SMTP_URL; a Config built another way
    // must not get the development stand-ins either.
    if (config.env === 'production' && (!databaseUrl || !config.smtpUrl)) throw new Error('DATABASE_URL and SMTP_URL are required in production');
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), { logger });
      databaseUrl = embedded.url;
      stops.push(() => embedded?.stop());
      logger.info({ port: embedded.port }, 'embedded PostgreSQL started');
    }
    if (config.tracing) {
      // The SDK is imported only when asked for (ADR 0122); first, so that every span below is exported.
      const { startTracing } = await import('./infra/tracing.js');
      const tracing = await startTracing(config.tracing);
      stops.push(() => tracing.stop());
      logger.info({ endpoint: config.tracing.endpoint }, 'OpenTelemetry traces on');
    }
    const orm = await initOrm(databaseUrl, opts.poolMax, logger);
    stops.push(() => orm.close(true));
    const applied = await migrate(orm);
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');

    let smtpUrl = config.smtpUrl;
    let catcher: Awaited<ReturnType<typeof startSmtpCatcher>> | undefined;
    if (!smtpUrl) {
      catcher = await startSmtpCatcher();
      smtpUrl = catcher.url;
      stops.push(() => catcher?.stop());
    }
    const mailer = createMailer(smtpUrl, config.mailFrom, { loopbackCatcher: !!catcher, allowPlaintext: config.smtpAllowPlaintext, timeoutMs: config.smtpTimeoutMs });
    stops.push(() => mailer.close());

    let storage: Storage = new FileStorage(config.storageDir);
    if (config.s3) {
      const s3 = new S3Storage({ ...config.s3, stagingDir: path.join(config.dataDir, 'staging') });
      stops.push(() => s3.close());
      // Fail at start, with the reason, rather than at the first image.
      await s3.check();
      logger.info({ endpoint: new URL(config.s3.endpoint).origin, bucket: config.s3.bucket, prefix: config.s3.prefix }, 'S3 storage ready');
      storage = s3;
    }
    await sweepStagedFiles(storage, logger);
    const stagingSweeper = setInterval(() => void sweepStagedFiles(storage, logger), STAGING_SWEEP_MS).unref();
    stops.push(() => clearInterval(stagingSweeper));

    const pubsub = new PgPubSub(databaseUrl, logger);
    await pubsub.start();
    stops.push(() => pubsub.close());

    const outbox = new OutboxWorker(orm, mailer, config, logger, opts.outbox, pubsub);
    if (opts.outbox?.start !== false) outbox.start();
    stops.push(() => outbox.stop());

    const deps: AppDeps = { config, orm, logger, pubsub, outbox, storage, catcher };
    return {
      deps,
      databaseUrl,
      embedded,
      async stop() {
        for (const s of stops.reverse()) await s();
      },
    };
  } catch (err) {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    throw err;
  }
}

export interface Started {
  services: Services;
  app: RunningApp;
  stop(): Promise<void>;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<Started> {
  const services = await startServices(config, opts);
  try {
    const app = await createApp(services.deps);
    return {
      services,
      app,
      async stop() {
        // The outbox claims nothing more and finishes the sends it has started while HTTP drains:
        // what is still queued stays in the table, for another replica or the next start.
        await Promise.all([app.close(), services.deps.outbox.stop()]);
        await services.stop();
      },
    };
  } catch (err) {
    await services.stop();
    throw err;
  }
}

export function forkEm(deps: AppDeps): EntityManager {
  return deps.orm.em.fork() as EntityManager;
}
