/**
 * Square crops of a decoded image, resampled to S × S by bilinear
 * interpolation; pixels outside the image are black. Used for the cascade's
 * joint-centred crops (inference and training alike), where the crop may
 * reach past the image border.
 */

/** A decoded image: interleaved 8-bit pixels, row-major. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Interleaved channels (3 = RGB, 4 = RGBA; RGB order). */
  readonly channels: number;
}

/**
 * Crops the square of side `side` centred at (`cx`, `cy`) (image pixels) and
 * resamples it to `size × size`. Output is planar float32 `[3, size, size]`
 * in `order` (BGR for legacy models), values 0–255, written into `out` at
 * `offset` (so K crops fill one batch tensor without copies).
 */
export function cropSquareInto(
  img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', out: Float32Array, offset: number,
): void {
  const { data, width, height, channels } = img;
  const scale = side / size;
  const x0 = cx - side / 2;
  const y0 = cy - side / 2;
  const plane = size * size;
  const chanIndex = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let oy = 0; oy < size; oy++) {
    // Sample at pixel centres, as resamplers do.
    const sy = y0 + (oy + 0.5) * scale - 0.5;
    const yA = Math.floor(sy);
    const fy = sy - yA;
    for (let ox = 0; ox < size; ox++) {
      const sx = x0 + (ox + 0.5) * scale - 0.5;
      const xA = Math.floor(sx);
      const fx = sx - xA;
      for (let c = 0; c < 3; c++) {
        const ch = chanIndex[c]!;
        const p = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + ch]!);
        const v = (1 - fy) * ((1 - fx) * p(xA, yA) + fx * p(xA + 1, yA)) + fy * ((1 - fx) * p(xA, yA + 1) + fx * p(xA + 1, yA + 1));
        out[offset + c * plane + oy * size + ox] = v;
      }
    }
  }
}
