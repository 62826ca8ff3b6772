import { describe, expect, it } from 'vitest';
import { RequestBudget, graphqlBudget } from './request-budget.js';

describe('RequestBudget (a token bucket per client address)', () => {
  it('grants a burst, then refuses with the seconds until a token is back', () => {
    const budget = new RequestBudget(3, 0.5);
    expect([0, 1, 2].map(() => budget.take('10.0.0.1', 1_000))).toEqual([0, 0, 0]);
    expect(budget.take('10.0.0.1', 1_000)).toBe(2);
    expect(budget.take('10.0.0.1', 2_000)).toBe(1);
    expect(budget.take('10.0.0.1', 3_000)).toBe(0);
  });

  it('counts each address apart', () => {
    const budget = new RequestBudget(1, 1);
    expect(budget.take('10.0.0.1', 0)).toBe(0);
    expect(budget.take('10.0.0.1', 0)).toBe(1);
    expect(budget.take('10.0.0.2', 0)).toBe(0);
  });

  it('refills no further than the burst after a quiet hour', () => {
    const budget = new RequestBudget(2, 10);
    budget.take('a', 0);
    const later = 3_600_000;
    expect([budget.take('a', later), budget.take('a', later), budget.take('a', later)]).toEqual([0, 0, 1]);
  });

  it('beyond maxClients, forgets the address heard from longest ago', () => {
    const budget = new RequestBudget(1, 0.001, 2);
    budget.take('a', 0);
    budget.take('b', 1);
    budget.take('a', 2); // heard again: now 'b' is the one heard from longest ago
    budget.take('c', 3);
    expect(budget.take('a', 4)).toBeGreaterThan(0); // remembered, its bucket still empty
    expect(budget.take('b', 5)).toBe(0); // forgotten: a fresh bucket
  });

  it('scales with RATE_LIMIT_SCALE', () => {
    expect(graphqlBudget({ rateLimitScale: 1 })).toMatchObject({ burst: 300, perSecond: 50 });
    expect(graphqlBudget({ rateLimitScale: 0.1 })).toMatchObject({ burst: 30, perSecond: 5 });
  });
});
