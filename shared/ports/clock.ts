/**
 * Time as a port: in AWS it is the wall clock; in the replay it is the virtual clock (the largest
 * eventTime read so far), so notifications and commands carry the time the contract asks for.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
