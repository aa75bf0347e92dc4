/** At most `limit` calls at once; the others wait their turn in order. */
export function limiter(limit: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (call) => {
    while (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    running += 1;
    try {
      return await call();
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  };
}
