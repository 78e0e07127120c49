/**
 * onnxruntime-node (1.30, Linux) records usage telemetry for Microsoft — an
 * SQLite store and a device id under `~/.cache/Microsoft/DeveloperTools/
 * .onnxruntime`, a session file `/tmp/.ses` — unless `ORT_DISABLE_TELEMETRY`
 * is set in the process's environment when the runtime starts. This tool
 * runs offline models for people who left a dead stack behind; it sends
 * nothing anywhere, so it sets the variable unless the user already chose
 * (any value of theirs is kept). Only the main thread can: a worker
 * thread's `process.env` is its own copy, not the environment native code
 * reads — so this runs before any thread that loads onnxruntime starts
 * (tools/cli.ts, `PoseModel.load`, and model/runtime/ort.ts on first use).
 * A program that loads models only inside worker threads of its own sets
 * the variable itself before starting them.
 */
import { isMainThread } from 'node:worker_threads';

export function disableRuntimeTelemetry(): void {
  if (isMainThread && process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
}
