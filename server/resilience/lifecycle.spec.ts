import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { createUser, gql, login } from './support/portal.js';

// The baseline every other resilience file builds on: the built server starts against a real
// PostgreSQL, serves a signed-in physician, and stops cleanly on SIGTERM.
describe('the built server', () => {
  let db: FreshDatabase;
  let server: BuiltServer;
  const password = 'Correct-horse-battery-42';

  beforeAll(async () => {
    db = await freshDatabase();
    await createUser(db.url, { email: 'lifecycle@example.org', role: 'PHYSICIAN', rpps: rppsWithCheckDigit('1000000000'), password });
    server = await startBuiltServer({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await server?.kill9();
    await db?.drop();
  });

  it('serves a signed-in physician, then exits 0 on SIGTERM', async () => {
    const cookie = await login(server.url, 'lifecycle@example.org', password);
    const me = await gql<{ me: { email: string } | null }>(server.url, '{ me { email } }', undefined, cookie);
    expect(me.body.data?.me?.email).toBe('lifecycle@example.org');
    await server.stop();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
