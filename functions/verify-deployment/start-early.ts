/**
 * An async iterable whose first item is already being fetched, so that fetch (opening the golden set's stream: a
 * round trip to the bucket) overlaps what the caller does before it iterates (reading the candidate's manifest).
 * `items` yields exactly what `source` would, and may be iterated once. A caller that ends up not iterating calls
 * `close()`, which releases the source (its stream) and drops the early fetch's outcome, an error included.
 */
export function startEarly<T>(source: AsyncIterable<T>): {
  items: AsyncIterable<T>;
  close(): Promise<void>;
} {
  const iterator = source[Symbol.asyncIterator]();
  const first = iterator.next();
  // Its error reaches whoever iterates; until then it must not count as unhandled.
  first.catch(() => undefined);
  let taken = false;
  return {
    items: {
      [Symbol.asyncIterator]: () => {
        if (taken) throw new Error("an early-started stream is iterated once");
        taken = true;
        let pending: Promise<IteratorResult<T>> | undefined = first;
        return {
          next: () => {
            const next = pending ?? iterator.next();
            pending = undefined;
            return next;
          },
          return: async (value?: unknown) => (await iterator.return?.(value)) ?? { done: true, value },
        };
      },
    },
    close: async () => {
      if (taken) return;
      taken = true;
      await first.catch(() => undefined);
      await iterator.return?.(undefined);
    },
  };
}
