import { describe, expect, it } from 'vitest';
import { FreshCheckBudget } from '../../../src/lib/sites/fresh-check-budget.js';

describe('FreshCheckBudget (how often an open page asks Microsoft)', () => {
  it('asks afresh a few times at once, then answers the last answer while it is a minute old at most', async () => {
    const budget = new FreshCheckBudget<number>(3, 12_000, 60_000);
    let asked = 0;
    const fresh = async () => ++asked;
    const at = 1_000_000;
    expect(await budget.answer('t', fresh, at)).toBe(1);
    expect(await budget.answer('t', fresh, at)).toBe(2);
    expect(await budget.answer('t', fresh, at)).toBe(3);
    // Out of budget: the last answer, without asking.
    expect(await budget.answer('t', fresh, at + 1_000)).toBe(3);
    expect(asked).toBe(3);
    // One check comes back every 12 seconds.
    expect(await budget.answer('t', fresh, at + 12_500)).toBe(4);
    expect(await budget.answer('t', fresh, at + 13_000)).toBe(4);
    // Another tenant has a budget of its own.
    expect(await budget.answer('u', fresh, at + 13_000)).toBe(5);
  });

  it('answers nothing once the budget is spent and the last answer is over a minute old', async () => {
    const budget = new FreshCheckBudget<string>(1, 120_000, 60_000);
    expect(await budget.answer('t', async () => 'first', 0)).toBe('first');
    expect(await budget.answer('t', async () => 'second', 30_000)).toBe('first');
    expect(await budget.answer('t', async () => 'third', 61_000)).toBeUndefined();
  });

  it('forgets a tenant once its budget is full again and its last answer too old to show', async () => {
    const budget = new FreshCheckBudget<number>(2, 10_000, 60_000);
    for (let tenant = 0; tenant < 100; tenant += 1) await budget.answer(`t${tenant}`, async () => tenant, 0);
    expect(budget.size).toBe(100);
    await budget.answer('later', async () => 1, 30_000);
    expect(budget.size).toBe(101);
    await budget.answer('later', async () => 2, 61_000);
    expect(budget.size).toBe(1);
  });
});
