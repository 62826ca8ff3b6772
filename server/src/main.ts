import { ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  const t0 = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // The rest of the server is loaded only once the configuration holds: a refusal comes in a
  // fraction of a second whatever the machine's load, and nothing (the embedded PostgreSQL's
  // exit hook among it) has been set up that could change the exit code.
  const [{ startServer }, { createLogger }, { seedDemoAccounts, seedDemoExams }] = await Promise.all([
    import('./bootstrap.js'),
    import('./infra/logger.js'),
    import('./modules/demo/seed.js'),
  ]);
  const logger = createLogger(config.logLevel);
  const started = await startServer(config, { logger });
  const { deps } = started.services;

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    started.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Ctrl-C reaches the embedded PostgreSQL too (same process group): it may go down before our
  // connections close, and a pooled connection then reports the loss. Expected while stopping.
  process.on('uncaughtException', (err) => {
    if (shuttingDown) {
      logger.debug({ err: err.message }, 'ignored error while shutting down');
      return;
    }
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A closed terminal: the embedded PostgreSQL is stopped too, not left orphaned.
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  const demo = config.seedDemo ? await seedDemoAccounts(deps) : [];
  const readyMs = Math.round(performance.now() - t0);
  const lines = [
    '',
    `  e-mage is ready at ${config.publicUrl}  (${readyMs} ms)`,
    deps.catcher ? `  Dev mailbox (built-in SMTP catcher): ${config.publicUrl}/dev/mailbox` : `  Mail via ${new URL(config.smtpUrl ?? 'smtp://?').host}`,
    `  GraphQL playground: ${config.publicUrl}/graphql`,
    started.services.embedded ? `  Embedded PostgreSQL on port ${started.services.embedded.port} (data in ${config.dataDir})` : '',
  ];
  if (demo.length) {
    lines.push('', '  Demo accounts (password for all: ' + demo[0]!.password + '):');
    for (const a of demo) lines.push(`    ${a.role.padEnd(9)} ${a.email}  (${a.name})`);
  }
  process.stdout.write(`${lines.filter((l) => l !== '').join('\n')}\n\n`);
  logger.info({ readyMs, url: config.publicUrl }, 'ready');

  if (demo.length) {
    // After "ready": the exams go through STOW-RS and publishExam over HTTP like a facility's,
    // which needs the server listening, and should not delay the portal for the accounts.
    const addr = started.app.server.address();
    const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    const loopback = `http://${host}:${typeof addr === 'object' && addr ? addr.port : config.port}`;
    process.stdout.write('  Publishing the demo exams in the background…\n');
    void seedDemoExams(deps, loopback).then(
      (r) => process.stdout.write(`  Demo exams published: ${r.published} exams, ${r.instancesStored} instances (${r.megabytes} MB) in ${(r.ms / 1000).toFixed(1)} s.\n`),
      (err: unknown) => logger.error({ err }, 'demo exams could not be published'),
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`e-mage failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
