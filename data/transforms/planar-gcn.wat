;; The two per-pixel passes of `planarGcn` (data/transforms/gcn.ts) in WebAssembly:
;; the per-channel byte histograms that give each plane's exact sums, and the table
;; lookup that writes each byte's normalised float32 value into its plane. The tables
;; themselves (3 × 256 values from the sums) are computed by the caller with the
;; JavaScript's own arithmetic, so the output is the same float32 values to the bit.
;; Compiled into planar-gcn-wasm.ts by `npm run build:wasm`;
;; data/transforms/planar-gcn-kernel.ts lays out the memory and calls it.
(module
  (memory (export "memory") 1)

  ;; Two histograms of the `pixels` interleaved 3-byte pixels at `src`: even pixels into
  ;; `hist` (i32[3·256], channel c at c·256), odd ones into `hist` + 3072 bytes, so that
  ;; runs of equal bytes do not wait on their own previous increment. Both zeroed first;
  ;; the caller adds them.
  (func (export "histogram") (param $src i32) (param $pixels i32) (param $hist i32)
    (local $p i32) (local $end i32) (local $pairEnd i32) (local $a i32) (local $h2 i32)
    (memory.fill (local.get $hist) (i32.const 0) (i32.const 6144))
    (local.set $h2 (i32.add (local.get $hist) (i32.const 3072)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $pixels) (i32.const 3))))
    (local.set $pairEnd (i32.add (local.get $src) (i32.mul (i32.and (local.get $pixels) (i32.const -2)) (i32.const 3))))
    (block $pairsDone
      (loop $pair
        (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $pairEnd)))
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=0 (local.get $p)) (i32.const 2))))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2))))
        (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2))))
        (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $h2) (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 2))))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $h2) (i32.shl (i32.load8_u offset=4 (local.get $p)) (i32.const 2))))
        (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $h2) (i32.shl (i32.load8_u offset=5 (local.get $p)) (i32.const 2))))
        (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 6)))
        (br $pair)))
    ;; An odd count leaves one pixel.
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=0 (local.get $p)) (i32.const 2))))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2))))
        (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2))))
        (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1))))))

  ;; One plane: out[i] = table[src[3·i]] for i < pixels, as 32-bit patterns (`src` points
  ;; at the channel's first byte, `table` at its 256 float32 values).
  (func (export "lookup") (param $src i32) (param $pixels i32) (param $table i32) (param $out i32)
    (local $end i32) (local $quadEnd i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $pixels) (i32.const 2))))
    (local.set $quadEnd (i32.add (local.get $out) (i32.shl (i32.and (local.get $pixels) (i32.const -4)) (i32.const 2))))
    (block $quadsDone
      (loop $quad
        (br_if $quadsDone (i32.ge_u (local.get $out) (local.get $quadEnd)))
        (i32.store offset=0 (local.get $out) (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=0 (local.get $src)) (i32.const 2)))))
        (i32.store offset=4 (local.get $out) (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=3 (local.get $src)) (i32.const 2)))))
        (i32.store offset=8 (local.get $out) (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=6 (local.get $src)) (i32.const 2)))))
        (i32.store offset=12 (local.get $out) (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=9 (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 12)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $quad)))
    (block $onesDone
      (loop $one
        (br_if $onesDone (i32.ge_u (local.get $out) (local.get $end)))
        (i32.store (local.get $out) (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 3)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $one)))))
