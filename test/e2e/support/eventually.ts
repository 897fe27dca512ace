/**
 * Waits for an observable outcome instead of assuming an order: asks again until the answer satisfies the
 * predicate, or fails at the deadline with the last answer (a pipeline under load takes its time).
 */
export async function eventually<T>(ask: () => Promise<T>, holds: (answer: T) => boolean, what: string, deadlineMs = 60_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: T | undefined;
  for (;;) {
    last = await ask();
    if (holds(last)) return last;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
