import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServices, forkEm, type Services } from './bootstrap.js';
import { AppError } from './common/errors.js';
import { ConfigError, loadConfig, repoRoot } from './config.js';
import { createSchema, printSdl } from './graphql/schema.js';
import { createLogger } from './infra/logger.js';
import { createUser } from './modules/auth/auth.service.js';
import { Role } from './modules/auth/user.entity.js';
import { createApiKey, createFacility, revokeApiKeys } from './modules/facility/facility.service.js';
import { Facility } from './modules/facility/facility.entity.js';
import { cliCommands } from './cli-commands.js';

/** Operator commands: `npm run cli -- <command> [options]`. */
const HELP = `Usage: npm run cli -- <command> [options]

  migrate                                   apply pending database migrations
  schema [--check]                          write schema.graphql (--check: fail if stale)
  user create --email E --role R --first-name F --last-name L [--rpps N] [--password P]
                                            R is PHYSICIAN, ANALYST or ADMIN; without a password,
                                            prints a single-use activation link
  facility create --name N --finess F       prints a new API key (shown once)
  facility add-key --finess F               prints another API key for the facility
  facility revoke-key (--prefix P | --finess F)
${cliCommands.map((c) => `  ${c.usage}`).join('\n')}
`;

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const services = await startServices(config, { logger: createLogger('warn'), outbox: { start: false } });
  try {
    return await fn(services);
  } finally {
    // With a real mail server, mail queued by the command leaves now. With the built-in catcher
    // it stays queued for the running portal, whose mailbox is the one people read.
    if (config.smtpUrl) await services.deps.outbox.drainOnce().catch(() => 0);
    await services.stop();
  }
}

async function run(argv: string[]): Promise<void> {
  const [cmd, sub, ...rest] = argv;
  const opts = (args: string[]) =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        email: { type: 'string' }, role: { type: 'string' }, 'first-name': { type: 'string' }, 'last-name': { type: 'string' },
        rpps: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, finess: { type: 'string' },
        prefix: { type: 'string' }, check: { type: 'boolean' },
      },
    }).values;

  if (cmd === 'migrate') {
    await withServices(async () => undefined);
    process.stdout.write('Migrations applied.\n');
    return;
  }
  if (cmd === 'schema') {
    const sdl = printSdl(await createSchema());
    const file = path.join(repoRoot, 'schema.graphql');
    if (opts([sub ?? '', ...rest].filter(Boolean)).check) {
      const { readFileSync, existsSync } = await import('node:fs');
      if (!existsSync(file) || readFileSync(file, 'utf8') !== sdl) {
        process.stderr.write('schema.graphql is stale: run `npm run schema` and commit it.\n');
        process.exit(1);
      }
      process.stdout.write('schema.graphql is up to date.\n');
      return;
    }
    writeFileSync(file, sdl);
    process.stdout.write(`Wrote ${file}\n`);
    return;
  }
  if (cmd === 'user' && sub === 'create') {
    const o = opts(rest);
    const role = String(o.role ?? '').toUpperCase();
    if (!(role in Role)) throw new Error('--role must be PHYSICIAN, ANALYST or ADMIN');
    await withServices(async ({ deps }) => {
      const { user, activationToken } = await createUser(forkEm(deps), deps.config, {
        email: o.email ?? '', role: role as Role, firstName: o['first-name'] ?? '', lastName: o['last-name'] ?? '',
        rpps: o.rpps ?? null, password: o.password ?? null,
      });
      process.stdout.write(`Created ${user.role} ${user.email}\n`);
      if (activationToken) process.stdout.write(`Activation link (single use): ${deps.config.publicUrl}/activation#token=${activationToken}\n`);
    });
    return;
  }
  if (cmd === 'facility') {
    const o = opts(rest);
    await withServices(async ({ deps }) => {
      const em = forkEm(deps);
      if (sub === 'create') {
        const facility = await createFacility(em, o.name ?? '', o.finess ?? '');
        const { key } = await createApiKey(em, facility);
        process.stdout.write(`Created facility ${facility.name} (FINESS ${facility.finess})\nAPI key (shown once, keep it secret): ${key}\n`);
      } else if (sub === 'add-key') {
        const facility = await em.findOne(Facility, { finess: o.finess ?? '' });
        if (!facility) throw new Error('No facility with this FINESS number');
        const { key } = await createApiKey(em, facility);
        process.stdout.write(`API key (shown once, keep it secret): ${key}\n`);
      } else if (sub === 'revoke-key') {
        const n = await revokeApiKeys(em, { prefix: o.prefix, finess: o.finess });
        process.stdout.write(`Revoked ${n} key(s).\n`);
      } else throw new Error(HELP);
    });
    return;
  }
  const extra = cliCommands.find((c) => c.name === cmd && (c.sub === undefined || c.sub === sub));
  if (extra) {
    await extra.run(extra.sub === undefined ? [sub, ...rest].filter((x): x is string => x !== undefined) : rest, { withServices });
    return;
  }
  process.stdout.write(HELP);
  if (cmd && cmd !== 'help' && cmd !== '--help') process.exitCode = 1;
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof AppError) process.stderr.write(`Error: ${err.message}\n`);
  else process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
