/**
 * Side-by-side work whose failures are reported in a fixed order: reads that run together can fail
 * together (a missing management group also refuses its role lookup), and the more fundamental one,
 * listed first, is what the user must fix first, whichever answer happened to arrive first.
 */
export async function together<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(work);
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
