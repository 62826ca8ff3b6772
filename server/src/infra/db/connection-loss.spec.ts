import { describe, expect, it } from 'vitest';
import { DriverException } from '@mikro-orm/core';
import { serviceUnavailable } from '../../common/errors.js';
import { isConnectionLost, isReadOnlyStatement, retryOnConnectionLoss } from './connection-loss.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('what counts as a lost database connection', () => {
  it.each([
    ['pg_terminate_backend, a fast shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['idle_session_timeout', pgError('57P05', 'terminating connection due to idle-session timeout')],
    ['a server in recovery', pgError('57P03', 'the database system is in recovery mode')],
    ['the socket ended', new Error('Connection terminated unexpectedly')],
    ['a client after its socket broke', new Error('Client has encountered a connection error and is not queryable')],
    ['a refused TCP connection', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['no pool connection in time', Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })],
    ['the ORM wrapping our own refusal', new DriverException(serviceUnavailable())],
  ])('%s', (_what, err) => {
    expect(isConnectionLost(err)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', pgError('42601', 'syntax error at or near "selct"')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['nothing', undefined],
  ])('not %s', (_what, err) => {
    expect(isConnectionLost(err)).toBe(false);
  });
});

describe('which statements may run twice', () => {
  it.each(['select 1', '  SELECT * from exam where id = $1', 'with a as (select 1) select * from a'])('%s', (sql) => {
    expect(isReadOnlyStatement(sql)).toBe(true);
  });

  it.each([
    'insert into exam values (1)',
    'update app_user set first_name = $1',
    'with s as (select 1) update app_user set first_name = first_name from s',
    'with d as (delete from session returning id) select count(*) from d',
    "select pg_notify('emage_events', $1)",
    'select pg_advisory_xact_lock(1)',
    "select nextval('seq')",
    'begin',
    // Conservative: a locking read belongs to a transaction anyway.
    'select s.id from session s where s.token_hash = $1 for update',
  ])('not %s', (sql) => {
    expect(isReadOnlyStatement(sql)).toBe(false);
  });
});

describe('retryOnConnectionLoss', () => {
  it('runs again after a lost connection, and gives the answer', async () => {
    let calls = 0;
    const answer = await retryOnConnectionLoss(async () => {
      calls++;
      if (calls < 3) throw new Error('Connection terminated unexpectedly');
      return 42;
    });
    expect({ answer, calls }).toEqual({ answer: 42, calls: 3 });
  });

  it('gives up after three attempts with SERVICE_UNAVAILABLE', async () => {
    let calls = 0;
    const err = await retryOnConnectionLoss(async () => {
      calls++;
      throw pgError('57P01', 'terminating connection due to administrator command');
    }).then(() => null, (e: unknown) => e);
    expect({ code: (err as { code?: string }).code, calls }).toEqual({ code: 'SERVICE_UNAVAILABLE', calls: 3 });
  });

  it('never repeats after any other error', async () => {
    let calls = 0;
    const err = await retryOnConnectionLoss(async () => {
      calls++;
      throw pgError('23505', 'duplicate key value violates unique constraint');
    }).then(() => null, (e: unknown) => e);
    expect({ code: (err as { code?: string }).code, calls }).toEqual({ code: '23505', calls: 1 });
  });
});
