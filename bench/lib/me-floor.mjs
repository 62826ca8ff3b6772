#!/usr/bin/env node
/**
 * The floor of `npm run bench:me` (issue 22): a bare Apollo Server 5 + express 5 answering the
 * same `me` query, whose context does one prepared PostgreSQL lookup of the session behind the
 * cookie, and nothing else (no limits, no rate limit, no metrics, no touch, no ORM). What the
 * server's own answer costs above this is what our code adds.
 *
 * POST /sql is the floor of a page without GraphQL: the same session lookup, then the SQL
 * statements the server sent for one request of that page (captured by bench:me, given in a JSON
 * file of { text, values }), one after the other, their rows answered as JSON.
 *
 * Run as its own process (so its CPU is counted apart):
 *   node bench/lib/me-floor.mjs DATABASE_URL PORT [STATEMENTS.json]
 * Prints "floor ready" once listening.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { readFileSync } from 'node:fs';
import express from 'express';
import pg from 'pg';

const [databaseUrl, port, statementsFile] = process.argv.slice(2);
const statements = statementsFile ? JSON.parse(readFileSync(statementsFile, 'utf8')) : [];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

const typeDefs = `
  type Me { id: ID! email: String! displayName: String! role: String! sessionIdleExpiresAt: String! }
  type Query { me: Me }
`;
const resolvers = { Query: { me: (_parent, _args, ctx) => ctx.me } };

const session = {
  name: 'floor_session_by_token',
  text: `select u.id, u.email, u.first_name, u.last_name, u.role, s.idle_expires_at
           from session s join app_user u on u.id = s.user_id
          where s.token_hash = $1 and s.revoked_at is null and s.idle_expires_at > now()
            and s.absolute_expires_at > now() and u.status = 'ACTIVE'`,
};

/** The session's user behind the request's cookie, or null: one prepared statement. */
async function sessionUser(req) {
  const token = sessionToken(req.headers.cookie);
  if (!token) return null;
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  const { rows: [row] } = await pool.query({ ...session, values: [hash] });
  return row ?? null;
}

function sessionToken(cookieHeader) {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'emage_session') return decodeURIComponent(value.join('='));
  }
  return undefined;
}

const apollo = new ApolloServer({ typeDefs, resolvers, plugins: [ApolloServerPluginLandingPageDisabled()] });
await apollo.start();
const app = express();
app.use(
  '/graphql',
  express.json(),
  expressMiddleware(apollo, {
    context: async ({ req }) => {
      const row = await sessionUser(req);
      return {
        me: row
          ? { id: row.id, email: row.email, displayName: `${row.first_name} ${row.last_name}`, role: row.role, sessionIdleExpiresAt: new Date(row.idle_expires_at).toISOString() }
          : null,
      };
    },
  }),
);
app.post('/sql', express.json(), async (req, res) => {
  if (!(await sessionUser(req))) {
    res.status(401).json({ error: 'unauthenticated' });
    return;
  }
  try {
    const data = [];
    // Named, as the server sends its page's statement: PostgreSQL plans each once per connection.
    for (const [i, q] of statements.entries()) data.push((await pool.query({ name: `floor_statement_${i}`, text: q.text, values: q.values })).rows);
    res.json({ data });
  } catch (err) {
    console.error(`floor /sql: ${err}`);
    res.status(500).json({ error: String(err) });
  }
});
const server = http.createServer(app);
server.listen(Number(port), '127.0.0.1', () => console.log('floor ready'));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  Promise.all([apollo.stop(), pool.end()]).then(() => process.exit(0));
});
