import { describe, expect, it } from 'vitest';
import { ResourceUnitPacer } from '../../../src/lib/graph/resource-unit-pacer.js';

/** A pacer on a clock the test moves: sleeping advances it. */
function pacerWith(budget: number) {
  let now = 0;
  const slept: number[] = [];
  const pacer = new ResourceUnitPacer(
    budget,
    () => now,
    async (ms) => {
      slept.push(ms);
      now += ms;
    },
  );
  const respond = (cost: number, usage?: number) =>
    pacer.after(
      new Headers({
        'x-ms-resource-unit': String(cost),
        ...(usage === undefined ? {} : { 'x-ms-throttle-limit-percentage': String(usage) }),
      }),
    );
  return { pacer, slept, respond, advance: (ms: number) => (now += ms) };
}

describe('the resource-unit pacer', () => {
  it('lets requests through while the 10-second window has room', async () => {
    const { pacer, slept, respond } = pacerWith(10);
    for (let i = 0; i < 4; i += 1) {
      await pacer.before(2);
      respond(2);
    }
    await pacer.before(2);
    expect(slept).toEqual([]);
  });

  it('waits until the oldest cost leaves the window once the budget is spent', async () => {
    const { pacer, slept, respond, advance } = pacerWith(4);
    await pacer.before(2);
    respond(2);
    advance(3_000);
    await pacer.before(2);
    respond(2);
    await pacer.before(2);
    expect(slept).toEqual([7_000]);
  });

  it('counts what Graph says a request cost, one unit when it says nothing', async () => {
    const { pacer, slept } = pacerWith(3);
    pacer.after(new Headers());
    pacer.after(new Headers());
    await pacer.before(1);
    expect(slept).toEqual([]);
    pacer.after(new Headers());
    await pacer.before(1);
    expect(slept).toEqual([10_000]);
  });

  it('shrinks the budget when Graph reports most of the limit used', () => {
    const { pacer, respond } = pacerWith(1000);
    respond(1, 0.5);
    expect(pacer.currentBudget).toBe(1000);
    respond(1, 0.9);
    expect(pacer.currentBudget).toBe(800);
  });

  it('never blocks a request when nothing was spent yet, however large', async () => {
    const { pacer, slept } = pacerWith(1);
    await pacer.before(50);
    expect(slept).toEqual([]);
  });
});

describe('the resource-unit pacer, after Graph said the limit was nearly reached', () => {
  it('lets its budget grow back while Graph reports no pressure, up to the full budget', () => {
    const { pacer, respond } = pacerWith(1000);
    respond(1, 0.9);
    respond(1, 0.9);
    expect(pacer.currentBudget).toBe(640);
    respond(1);
    expect(pacer.currentBudget).toBe(740);
    for (let i = 0; i < 10; i += 1) respond(1);
    expect(pacer.currentBudget).toBe(1000);
  });
});
