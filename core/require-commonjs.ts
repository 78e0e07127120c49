/**
 * Loading a CommonJS dependency (sharp's CommonJS build, onnxruntime-node,
 * piscina, commander) with `require` instead of `import`. Imported as an ES
 * module, a CommonJS file is first lexed by Node's loader for its named
 * exports (cjs-module-lexer, in JavaScript), on every thread that imports
 * it; for sharp and its dependencies that lexing, and V8 optimising the
 * lexer while it runs, cost each thread of `deeppose eval` more than the
 * loading itself (two worker threads importing sharp: 270 ms of CPU with
 * `require` against 525 ms with `import`, the threads' own start included).
 */
import { createRequire } from 'node:module';

const nodeRequire = createRequire(import.meta.url);

/** The CommonJS package `name`, typed by the caller (`typeof import('name')`). */
export function requireCommonJs<T>(name: string): T {
  return nodeRequire(name) as T;
}
