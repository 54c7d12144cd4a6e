import type { Timer, TimerFunctionOptions } from '@azure/functions';
import { Cron } from 'croner';
import { type HostLog, invokeFunction } from './invoke.js';

/** Resolves `%SETTING%` in a schedule from the app settings, as the Functions host does. */
export function resolveSchedule(schedule: string, values: Record<string, string>): string {
  return schedule.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === '')
      throw new Error(`Timer schedule refers to the missing setting ${name}.`);
    return value;
  });
}

/** NCRONTAB as the Functions host reads it: exactly six fields, seconds first. */
export function parseNcrontab(expression: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `'${expression}' is not a six-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}).`,
    );
  }
  return new Cron(fields.join(' '), { paused: true, timezone: 'UTC' });
}

interface ScheduledTimer {
  name: string;
  options: TimerFunctionOptions;
  cron: Cron;
  running?: Promise<void>;
  last?: Date;
}

/** Runs timer-triggered functions on their schedules (UTC), one invocation at a time per timer. */
export class TimerScheduler {
  private readonly timers = new Map<string, ScheduledTimer>();
  private readonly handles = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    functions: { name: string; options: TimerFunctionOptions }[],
    values: Record<string, string>,
    private readonly functionTimeoutMs: number,
    private readonly log: HostLog,
  ) {
    for (const { name, options } of functions) {
      if (options.runOnStartup)
        log('warning', `Timer '${name}' asks to run on startup; the local host ignores that.`);
      this.timers.set(name, {
        name,
        options,
        cron: parseNcrontab(resolveSchedule(options.schedule, values)),
      });
    }
  }

  start(): void {
    for (const timer of this.timers.values()) this.scheduleNext(timer);
  }

  has(name: string): boolean {
    return this.timers.has(name);
  }

  /** When the timer next fires on its schedule. */
  nextRun(name: string): Date | undefined {
    const timer = this.timers.get(name);
    return timer?.cron.nextRun() ?? undefined;
  }

  /** Fires a timer now, outside its schedule; resolves when that invocation ends (its error is logged). */
  fire(name: string): Promise<void> {
    const timer = this.timers.get(name);
    if (!timer) return Promise.reject(new Error(`No timer function named '${name}'.`));
    return this.run(timer, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
    await Promise.all([...this.timers.values()].map((timer) => timer.running));
  }

  private scheduleNext(timer: ScheduledTimer): void {
    const next = timer.cron.nextRun();
    if (this.stopped || !next) return;
    // setTimeout holds at most ~24.8 days; a longer wait is re-armed on the way.
    const delay = Math.min(Math.max(next.getTime() - Date.now(), 0), 2 ** 31 - 1);
    this.handles.set(
      timer.name,
      setTimeout(() => {
        if (Date.now() >= next.getTime()) void this.run(timer, false);
        this.scheduleNext(timer);
      }, delay),
    );
  }

  private run(timer: ScheduledTimer, isPastDue: boolean): Promise<void> {
    if (timer.running) {
      this.log('warning', `Timer '${timer.name}' is still running; this firing is skipped.`);
      return timer.running;
    }
    const now = new Date();
    const payload: Timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (timer.last ?? now).toISOString(),
        next: (timer.cron.nextRun() ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    timer.last = now;
    timer.running = invokeFunction(timer.name, this.functionTimeoutMs, this.log, {}, (context) =>
      timer.options.handler(payload, context),
    )
      .then(
        () => undefined,
        () => undefined, // logged by invokeFunction; a timer has no retry unless a retry policy says so
      )
      .finally(() => {
        timer.running = undefined;
      });
    return timer.running;
  }
}
