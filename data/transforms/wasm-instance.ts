/**
 * Instantiating the project's small WebAssembly modules (./square-crop.wat,
 * ./cv-resize.wat, ./planar-gcn.wat, ../jpeg/jpeg-decode.wat) from their embedded bytes, and laying out their memory.
 * Every pointer a kernel takes is a byte offset into its own memory.
 */

/** The slice of the WebAssembly API used here (this project's TypeScript libraries declare none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: object };
  RuntimeError: new () => Error;
}

/** A kernel's exported memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Whether `err` is a WebAssembly trap (`unreachable`, an access out of bounds …). */
export function isWasmTrap(err: unknown): boolean {
  return err instanceof (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.RuntimeError;
}

/** A new instance of the module whose bytes are `base64` (synchronous: the modules are a few hundred bytes). */
export function instantiateWasm(base64: string): object {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return new wasm.Instance(new wasm.Module(Buffer.from(base64, 'base64'))).exports;
}

/**
 * Consecutive regions of `sizesBytes` bytes each, every one starting on a
 * 16-byte boundary (SIMD loads): their byte offsets and the total.
 */
export function layoutBytes(sizesBytes: readonly number[]): { offsets: number[]; totalBytes: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const n of sizesBytes) {
    offsets.push(at);
    at += (n + 15) & ~15;
  }
  return { offsets, totalBytes: at };
}

/** Grows `memory` to hold at least `bytes`; its `buffer` (and every view of the old one) is replaced when it grows. */
export function ensureBytes(memory: WasmMemory, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory.buffer;
}
