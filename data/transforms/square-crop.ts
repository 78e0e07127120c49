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
  const chans = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  // Source columns and weights, once per crop (sampling at pixel centres, as resamplers do).
  const colA = new Int32Array(size);
  const colW = new Float64Array(size);
  for (let ox = 0; ox < size; ox++) {
    const sx = x0 + (ox + 0.5) * scale - 0.5;
    colA[ox] = Math.floor(sx);
    colW[ox] = sx - colA[ox]!;
  }
  const px = (x: number, y: number, ch: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + ch]!;
  for (let oy = 0; oy < size; oy++) {
    const sy = y0 + (oy + 0.5) * scale - 0.5;
    const yA = Math.floor(sy);
    const fy = sy - yA;
    const rowInside = yA >= 0 && yA + 1 < height;
    for (let ox = 0; ox < size; ox++) {
      const xA = colA[ox]!;
      const fx = colW[ox]!;
      const o = offset + oy * size + ox;
      if (rowInside && xA >= 0 && xA + 1 < width) {
        const i00 = (yA * width + xA) * channels;
        const i10 = i00 + channels;
        const i01 = i00 + width * channels;
        const i11 = i01 + channels;
        for (let c = 0; c < 3; c++) {
          const ch = chans[c]!;
          const top = data[i00 + ch]! + fx * (data[i10 + ch]! - data[i00 + ch]!);
          const bottom = data[i01 + ch]! + fx * (data[i11 + ch]! - data[i01 + ch]!);
          out[o + c * plane] = top + fy * (bottom - top);
        }
      } else {
        for (let c = 0; c < 3; c++) {
          const ch = chans[c]!;
          const top = px(xA, yA, ch) + fx * (px(xA + 1, yA, ch) - px(xA, yA, ch));
          const bottom = px(xA, yA + 1, ch) + fx * (px(xA + 1, yA + 1, ch) - px(xA, yA + 1, ch));
          out[o + c * plane] = top + fy * (bottom - top);
        }
      }
    }
  }
}
