import type { NearRealTimeView } from '../../src/lib/near-real-time/near-real-time-view.js';

const offReasons: Record<NonNullable<NearRealTimeView['offReason']>, string> = {
  turned_off: 'turned off',
  offboarding: 'the tenant is offboarded',
  credentials_invalid: 'its credentials stopped working; on again by itself after a reconnect',
  permission_missing:
    'Graph refused a subscription for a missing permission; grant it, then turn it on again',
};

/** A tenant's near-real-time replication in one line. */
export function describeNearRealTime(view: NearRealTimeView | undefined): string {
  if (!view || (view.state === 'off' && !view.offReason)) return 'off (the daily run)';
  const counts = `${view.notifications} notification(s), ${view.runsStarted} run(s) started`;
  switch (view.state) {
    case 'on':
      return `on: ${counts}${view.nextCheckAt ? `; next check ${view.nextCheckAt.replace(/\.\d+Z$/, 'Z')}` : ''}`;
    case 'subscribing':
      return `being turned on${view.lastError ? ` (last attempt: ${view.lastError})` : ''}`;
    case 'unsubscribing':
      return `being turned off${view.lastError ? ` (last attempt: ${view.lastError})` : ''}`;
    default:
      return `off (the daily run): ${offReasons[view.offReason ?? 'turned_off']}`;
  }
}
