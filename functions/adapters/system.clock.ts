/** The real clock, for handlers; core takes a Clock so tests can fix time. */
import type { Clock } from '../core/ports.ts';

export const systemClock: Clock = {
  now: () => new Date(),
};
