/** Most keys one batched lookup sends in one query. */
export const lookupBatchMax = 500;

/**
 * Collects the lookups asked for in the same turn of the event loop and answers them with one call
 * of `load` (split into slices of at most `batchMax` keys). Under load many requests need a row at
 * the same moment, and one query for all of them costs the service and PostgreSQL little more than
 * one query for one; with no load a lookup waits only for the current turn to end. The same key
 * asked for twice in a turn is loaded once. `load` answers with the rows it found, by key; a key it
 * did not find resolves to undefined. If `load` fails, every lookup in that slice fails with it.
 */
export function batchLoader<V>(load: (keys: string[]) => Promise<Map<string, V>>, batchMax = lookupBatchMax): (key: string) => Promise<V | undefined> {
  let pending = new Map<string, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += batchMax) {
      const slice = keys.slice(i, i + batchMax);
      load(slice).then(
        (found) => {
          for (const key of slice) for (const waiting of batch.get(key)!) waiting.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of slice) for (const waiting of batch.get(key)!) waiting.reject(error);
        },
      );
    }
  };

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      let waiting = pending.get(key);
      if (!waiting) pending.set(key, (waiting = []));
      waiting.push({ resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/** A PostgreSQL array literal of uuids, for `= any($1::text::uuid[])`. Callers pass well-formed uuids only. */
export const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;
