/** The one in-memory form of a pose annotation, whatever file it came from. */

/** One person in one image. */
export interface PoseAnnotation {
  /** Image file name, relative to the dataset's `images/` folder. */
  readonly image: string;
  /** `[K, 2]` joint positions in original-image pixels (meaningless where not visible). */
  readonly jointsPx: readonly (readonly [number, number])[];
  /** `[K]` explicit mask: true where the joint is annotated. */
  readonly visible: readonly boolean[];
  /** MPII-style head box `[x0, y0, x1, y1]` in pixels (PCKh's scale), when the source has one. */
  readonly headBoxXyxy?: readonly [number, number, number, number];
  /** A person box `[x, y, w, h]` in pixels, when the source has one (COCO `bbox`). */
  readonly personBoxXywh?: readonly [number, number, number, number];
}
