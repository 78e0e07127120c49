/**
 * The converter's identity, part of the conversion cache key
 * (model/model-source.ts): its own module so that finding a cached
 * conversion does not load the converter (protobuf schema, zip readers).
 */
/** Bumped when conversions change (2: families from keys and shapes, unused weights refused, pickles), so caches convert again. */
export const CONVERTER_ID = 'deeppose-resurrected convert 2';
