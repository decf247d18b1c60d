/**
 * `load` run on the first call and its promise shared by every later one, so concurrent first callers share one
 * load. A rejected load is not kept: the next call tries again.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (loaded === undefined) {
      const attempt = load();
      loaded = attempt;
      attempt.catch(() => {
        if (loaded === attempt) loaded = undefined;
      });
    }
    return loaded;
  };
}

/**
 * A CommonJS package's exports as a dynamic `import()` gives them. Node hands a CommonJS module to ESM as its
 * `default` export (named exports only where its lexer finds them), and an ESM bundle for Node does the same with
 * a bundled CommonJS module in its own chunk (`export default require_publisher_client()`), so `PublisherClient`
 * is on `default` there; tsx and vitest give the named exports. Either way this returns the exports object.
 */
export function commonJsExports<T extends object>(module: T): T {
  return (module as { default?: T }).default ?? module;
}
