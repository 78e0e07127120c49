;; The joint crop's arithmetic (data/transforms/square-crop.ts, cropSquareGcnInto)
;; in WebAssembly with 128-bit SIMD: the same float64 operations in the same
;; order, so the same float32 results to the bit. Compiled into
;; square-crop-wasm.ts by `npm run build:wasm`; data/transforms/square-crop-simd.ts
;; lays out the memory and calls it.
;;
;; Memory the caller fills:
;;   window  8-bit pixels, `stride` bytes per row, every tap inside it (pixels
;;           outside the image are zero there, as the JS reads them);
;;   colL, colR  i32[size]: byte offset of each output column's two taps in a row;
;;   colW    f64[size]: weight of the right tap;
;;   rowA    i32[size]: window row of each output row's top tap; rowW f64[size]: weight of the bottom one;
;;   hA, hB  f64[3·size] each: two horizontally interpolated rows, planar, channels in output order;
;;   out     f32[3·size·size]: the crop, planar;
;;   sums    f64[6]: each output channel's sum and sum of squares, in raster order.
(module
  (memory (export "memory") 1)

  ;; One window row interpolated along x: h[c·size + ox] = v + fx·(w − v), v and w the taps of channel c.
  (func $hrow (param $row i32) (param $k0 i32) (param $k1 i32) (param $k2 i32) (param $size i32)
              (param $colL i32) (param $colR i32) (param $colW i32) (param $h i32)
    (local $ox i32) (local $p i32) (local $q i32) (local $fx f64) (local $v f64) (local $o i32) (local $channelBytes i32)
    ;; bytes from one channel's row to the next in h
    (local.set $channelBytes (i32.shl (local.get $size) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ox) (local.get $size)))
        (local.set $p (i32.add (local.get $row) (i32.load (i32.add (local.get $colL) (i32.shl (local.get $ox) (i32.const 2))))))
        (local.set $q (i32.add (local.get $row) (i32.load (i32.add (local.get $colR) (i32.shl (local.get $ox) (i32.const 2))))))
        (local.set $fx (f64.load (i32.add (local.get $colW) (i32.shl (local.get $ox) (i32.const 3)))))
        (local.set $o (i32.add (local.get $h) (i32.shl (local.get $ox) (i32.const 3))))
        (local.set $v (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $k0)))))
        (f64.store (local.get $o)
          (f64.add (local.get $v) (f64.mul (local.get $fx)
            (f64.sub (f64.convert_i32_u (i32.load8_u (i32.add (local.get $q) (local.get $k0)))) (local.get $v)))))
        (local.set $o (i32.add (local.get $o) (local.get $channelBytes)))
        (local.set $v (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $k1)))))
        (f64.store (local.get $o)
          (f64.add (local.get $v) (f64.mul (local.get $fx)
            (f64.sub (f64.convert_i32_u (i32.load8_u (i32.add (local.get $q) (local.get $k1)))) (local.get $v)))))
        (local.set $o (i32.add (local.get $o) (local.get $channelBytes)))
        (local.set $v (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $k2)))))
        (f64.store (local.get $o)
          (f64.add (local.get $v) (f64.mul (local.get $fx)
            (f64.sub (f64.convert_i32_u (i32.load8_u (i32.add (local.get $q) (local.get $k2)))) (local.get $v)))))
        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
        (br $next))))

  ;; The crop: for each output row its two window rows (interpolated once and kept while
  ;; consecutive rows share them), then fround(top + fy·(bottom − top)) per element, two at a time.
  (func (export "crop")
        (param $win i32) (param $stride i32) (param $k0 i32) (param $k1 i32) (param $k2 i32) (param $size i32)
        (param $colL i32) (param $colR i32) (param $colW i32) (param $rowA i32) (param $rowW i32)
        (param $hA i32) (param $hB i32) (param $out i32) (param $sums i32)
    (local $oy i32) (local $ya i32) (local $top i32) (local $bot i32) (local $topRow i32) (local $botRow i32) (local $tmp i32)
    (local $fy f64) (local $fyv v128) (local $ox i32) (local $outPlane i32) (local $hPlane i32) (local $rowOut i32)
    (local $th i32) (local $bh i32) (local $o i32) (local $t v128) (local $v v128) (local $a f64) (local $b f64)
    (local $s0 f64) (local $q0 f64) (local $s1 f64) (local $q1 f64) (local $s2 f64) (local $q2 f64)
    (local.set $top (local.get $hA))
    (local.set $bot (local.get $hB))
    (local.set $topRow (i32.const -1))
    (local.set $botRow (i32.const -1))
    (local.set $outPlane (i32.shl (i32.mul (local.get $size) (local.get $size)) (i32.const 2)))
    (local.set $hPlane (i32.shl (local.get $size) (i32.const 3)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $oy) (local.get $size)))
        (local.set $ya (i32.load (i32.add (local.get $rowA) (i32.shl (local.get $oy) (i32.const 2)))))
        (local.set $fy (f64.load (i32.add (local.get $rowW) (i32.shl (local.get $oy) (i32.const 3)))))
        (if (i32.ne (local.get $topRow) (local.get $ya))
          (then
            (if (i32.eq (local.get $botRow) (local.get $ya))
              (then
                (local.set $tmp (local.get $top)) (local.set $top (local.get $bot)) (local.set $bot (local.get $tmp))
                (local.set $tmp (local.get $topRow)) (local.set $topRow (local.get $botRow)) (local.set $botRow (local.get $tmp)))
              (else
                (call $hrow (i32.add (local.get $win) (i32.mul (local.get $ya) (local.get $stride)))
                  (local.get $k0) (local.get $k1) (local.get $k2) (local.get $size) (local.get $colL) (local.get $colR) (local.get $colW) (local.get $top))
                (local.set $topRow (local.get $ya))))))
        (if (i32.ne (local.get $botRow) (i32.add (local.get $ya) (i32.const 1)))
          (then
            (call $hrow (i32.add (local.get $win) (i32.mul (i32.add (local.get $ya) (i32.const 1)) (local.get $stride)))
              (local.get $k0) (local.get $k1) (local.get $k2) (local.get $size) (local.get $colL) (local.get $colR) (local.get $colW) (local.get $bot))
            (local.set $botRow (i32.add (local.get $ya) (i32.const 1)))))
        (local.set $fyv (f64x2.splat (local.get $fy)))
        (local.set $rowOut (i32.add (local.get $out) (i32.shl (i32.mul (local.get $oy) (local.get $size)) (i32.const 2))))
        (local.set $ox (i32.const 0))
        ;; Two elements of each channel at a time.
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $ox) (i32.const 2)) (local.get $size)))
            ;; channel 0
            (local.set $th (i32.add (local.get $top) (i32.shl (local.get $ox) (i32.const 3))))
            (local.set $bh (i32.add (local.get $bot) (i32.shl (local.get $ox) (i32.const 3))))
            (local.set $o (i32.add (local.get $rowOut) (i32.shl (local.get $ox) (i32.const 2))))
            (local.set $t (v128.load (local.get $th)))
            (local.set $v (f32x4.demote_f64x2_zero (f64x2.add (local.get $t) (f64x2.mul (local.get $fyv) (f64x2.sub (v128.load (local.get $bh)) (local.get $t))))))
            (v128.store64_lane 0 (local.get $o) (local.get $v))
            (local.set $v (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $a (f64x2.extract_lane 0 (local.get $v)))
            (local.set $b (f64x2.extract_lane 1 (local.get $v)))
            (local.set $s0 (f64.add (f64.add (local.get $s0) (local.get $a)) (local.get $b)))
            (local.set $q0 (f64.add (f64.add (local.get $q0) (f64.mul (local.get $a) (local.get $a))) (f64.mul (local.get $b) (local.get $b))))
            ;; channel 1
            (local.set $th (i32.add (local.get $th) (local.get $hPlane)))
            (local.set $bh (i32.add (local.get $bh) (local.get $hPlane)))
            (local.set $o (i32.add (local.get $o) (local.get $outPlane)))
            (local.set $t (v128.load (local.get $th)))
            (local.set $v (f32x4.demote_f64x2_zero (f64x2.add (local.get $t) (f64x2.mul (local.get $fyv) (f64x2.sub (v128.load (local.get $bh)) (local.get $t))))))
            (v128.store64_lane 0 (local.get $o) (local.get $v))
            (local.set $v (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $a (f64x2.extract_lane 0 (local.get $v)))
            (local.set $b (f64x2.extract_lane 1 (local.get $v)))
            (local.set $s1 (f64.add (f64.add (local.get $s1) (local.get $a)) (local.get $b)))
            (local.set $q1 (f64.add (f64.add (local.get $q1) (f64.mul (local.get $a) (local.get $a))) (f64.mul (local.get $b) (local.get $b))))
            ;; channel 2
            (local.set $th (i32.add (local.get $th) (local.get $hPlane)))
            (local.set $bh (i32.add (local.get $bh) (local.get $hPlane)))
            (local.set $o (i32.add (local.get $o) (local.get $outPlane)))
            (local.set $t (v128.load (local.get $th)))
            (local.set $v (f32x4.demote_f64x2_zero (f64x2.add (local.get $t) (f64x2.mul (local.get $fyv) (f64x2.sub (v128.load (local.get $bh)) (local.get $t))))))
            (v128.store64_lane 0 (local.get $o) (local.get $v))
            (local.set $v (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $a (f64x2.extract_lane 0 (local.get $v)))
            (local.set $b (f64x2.extract_lane 1 (local.get $v)))
            (local.set $s2 (f64.add (f64.add (local.get $s2) (local.get $a)) (local.get $b)))
            (local.set $q2 (f64.add (f64.add (local.get $q2) (f64.mul (local.get $a) (local.get $a))) (f64.mul (local.get $b) (local.get $b))))
            (local.set $ox (i32.add (local.get $ox) (i32.const 2)))
            (br $pair)))
        ;; An odd size's last element.
        (if (i32.lt_u (local.get $ox) (local.get $size))
          (then
            (local.set $th (i32.add (local.get $top) (i32.shl (local.get $ox) (i32.const 3))))
            (local.set $bh (i32.add (local.get $bot) (i32.shl (local.get $ox) (i32.const 3))))
            (local.set $o (i32.add (local.get $rowOut) (i32.shl (local.get $ox) (i32.const 2))))
            (local.set $a (f64.promote_f32 (f32.demote_f64 (f64.add (f64.load (local.get $th)) (f64.mul (local.get $fy) (f64.sub (f64.load (local.get $bh)) (f64.load (local.get $th))))))))
            (f32.store (local.get $o) (f32.demote_f64 (local.get $a)))
            (local.set $s0 (f64.add (local.get $s0) (local.get $a)))
            (local.set $q0 (f64.add (local.get $q0) (f64.mul (local.get $a) (local.get $a))))
            (local.set $th (i32.add (local.get $th) (local.get $hPlane)))
            (local.set $bh (i32.add (local.get $bh) (local.get $hPlane)))
            (local.set $o (i32.add (local.get $o) (local.get $outPlane)))
            (local.set $a (f64.promote_f32 (f32.demote_f64 (f64.add (f64.load (local.get $th)) (f64.mul (local.get $fy) (f64.sub (f64.load (local.get $bh)) (f64.load (local.get $th))))))))
            (f32.store (local.get $o) (f32.demote_f64 (local.get $a)))
            (local.set $s1 (f64.add (local.get $s1) (local.get $a)))
            (local.set $q1 (f64.add (local.get $q1) (f64.mul (local.get $a) (local.get $a))))
            (local.set $th (i32.add (local.get $th) (local.get $hPlane)))
            (local.set $bh (i32.add (local.get $bh) (local.get $hPlane)))
            (local.set $o (i32.add (local.get $o) (local.get $outPlane)))
            (local.set $a (f64.promote_f32 (f32.demote_f64 (f64.add (f64.load (local.get $th)) (f64.mul (local.get $fy) (f64.sub (f64.load (local.get $bh)) (f64.load (local.get $th))))))))
            (f32.store (local.get $o) (f32.demote_f64 (local.get $a)))
            (local.set $s2 (f64.add (local.get $s2) (local.get $a)))
            (local.set $q2 (f64.add (local.get $q2) (f64.mul (local.get $a) (local.get $a))))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $row)))
    (f64.store offset=0 (local.get $sums) (local.get $s0))
    (f64.store offset=8 (local.get $sums) (local.get $q0))
    (f64.store offset=16 (local.get $sums) (local.get $s1))
    (f64.store offset=24 (local.get $sums) (local.get $q1))
    (f64.store offset=32 (local.get $sums) (local.get $s2))
    (f64.store offset=40 (local.get $sums) (local.get $q2)))

  ;; x[i] = fround((x[i] − mean)·scale) over n float32 values, four at a time (normalisePlane's arithmetic).
  (func (export "normalise") (param $p i32) (param $n i32) (param $mean f64) (param $scale f64)
    (local $i i32) (local $x v128) (local $m v128) (local $s v128) (local $lo v128) (local $hi v128) (local $end i32)
    (local.set $m (f64x2.splat (local.get $mean)))
    (local.set $s (f64x2.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $quad
        (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $x (v128.load (local.get $p)))
        (local.set $lo (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (local.get $m)) (local.get $s))))
        (local.set $hi (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))) (local.get $m)) (local.get $s))))
        (v128.store (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $quad)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p) (f32.demote_f64 (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $mean)) (local.get $scale))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))))
