import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/logger.js';
import { PgPubSub } from '../../src/infra/pubsub/pg-pubsub.js';
import { initOrm, type Orm } from '../../src/infra/db/orm.js';
import { createTestDatabase, type TestDatabase } from '../harness.js';

async function firstEvent<T>(it: AsyncIterable<unknown>, timeoutMs: number): Promise<T | 'timeout'> {
  const iterator = it[Symbol.asyncIterator]();
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs));
  const result = await Promise.race([iterator.next().then((r) => r.value as T), timer]);
  await iterator.return?.();
  return result;
}

describe('events cross replicas through PostgreSQL LISTEN/NOTIFY', () => {
  let db: TestDatabase;
  let orm: Orm;
  let replicaA: PgPubSub;
  let replicaB: PgPubSub;
  beforeAll(async () => {
    db = await createTestDatabase();
    orm = await initOrm(db.url, 2);
    const logger = createLogger('silent');
    replicaA = new PgPubSub(db.url, logger);
    replicaB = new PgPubSub(db.url, logger);
    await Promise.all([replicaA.start(), replicaB.start()]);
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await orm?.close(true);
    await db?.drop();
  });

  it('an event published in a transaction on A reaches a subscriber on B once A commits', async () => {
    const received = firstEvent<{ id: string }>(replicaB.subscribe('notification:user-1'), 5000);
    const em = orm.em.fork();
    await em.transactional(async (tx) => {
      await replicaA.publishInTransaction(tx as never, 'notification:user-1', { id: 'n-1' });
    });
    expect(await received).toEqual({ id: 'n-1' });
  });

  it('an event of a rolled-back transaction reaches nobody', async () => {
    const received = firstEvent(replicaB.subscribe('notification:user-2'), 1000);
    const em = orm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        await replicaA.publishInTransaction(tx as never, 'notification:user-2', { id: 'n-2' });
        throw new Error('publishing failed');
      }),
    ).rejects.toThrow('publishing failed');
    expect(await received).toBe('timeout');
  });

  it("a subscriber never receives another topic's events", async () => {
    const received = firstEvent(replicaB.subscribe('notification:user-3'), 1000);
    replicaA.publish('notification:user-4', { id: 'n-4' });
    expect(await received).toBe('timeout');
  });
});
