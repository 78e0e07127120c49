/** Instantiating the project's small WebAssembly kernels (./square-crop.wat, ./cv-resize.wat) from their embedded bytes. */

/** The slice of the WebAssembly API used here (this project's TypeScript libraries declare none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: object };
}

/** A new instance of the module whose bytes are `base64` (synchronous: the modules are a few hundred bytes). */
export function instantiateWasm(base64: string): object {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return new wasm.Instance(new wasm.Module(Buffer.from(base64, 'base64'))).exports;
}
