;; OpenCV's INTER_LINEAR resize of an 8-bit 3-channel crop (data/transforms/cv-resize.ts,
;; cvResizeLinear) in WebAssembly with 128-bit SIMD: the same integer arithmetic, so the
;; same bytes. Compiled into cv-resize-wasm.ts by `npm run build:wasm`;
;; data/transforms/cv-resize-simd.ts lays out the memory and calls it.
;;
;; Memory the caller fills:
;;   src     the crop's pixels, `stride` bytes per row (row 0 = the crop's top row);
;;   tap0, tap1, w0, w1   i32[dstW]: byte offsets of each output column's two taps in a
;;           row and their 11-bit weights;
;;   r0, r1, b0, b1       i32[dstH]: each output row's two source rows (clamped) and weights;
;;   hA, hB  i32[3·dstW] each: horizontally interpolated rows;
;;   out     u8[dstH·dstW·3].
(module
  (memory (export "memory") 1)

  ;; h[3·dx + c] = S[tap0 + c]·w0 + S[tap1 + c]·w1
  (func $hrow (param $row i32) (param $dstW i32) (param $tap0 i32) (param $tap1 i32) (param $w0 i32) (param $w1 i32) (param $h i32)
    (local $dx i32) (local $p i32) (local $q i32) (local $a0 i32) (local $a1 i32) (local $o i32) (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dx) (local.get $dstW)))
        (local.set $i (i32.shl (local.get $dx) (i32.const 2)))
        (local.set $p (i32.add (local.get $row) (i32.load (i32.add (local.get $tap0) (local.get $i)))))
        (local.set $q (i32.add (local.get $row) (i32.load (i32.add (local.get $tap1) (local.get $i)))))
        (local.set $a0 (i32.load (i32.add (local.get $w0) (local.get $i))))
        (local.set $a1 (i32.load (i32.add (local.get $w1) (local.get $i))))
        (local.set $o (i32.add (local.get $h) (i32.mul (local.get $dx) (i32.const 12))))
        (i32.store offset=0 (local.get $o)
          (i32.add (i32.mul (i32.load8_u offset=0 (local.get $p)) (local.get $a0)) (i32.mul (i32.load8_u offset=0 (local.get $q)) (local.get $a1))))
        (i32.store offset=4 (local.get $o)
          (i32.add (i32.mul (i32.load8_u offset=1 (local.get $p)) (local.get $a0)) (i32.mul (i32.load8_u offset=1 (local.get $q)) (local.get $a1))))
        (i32.store offset=8 (local.get $o)
          (i32.add (i32.mul (i32.load8_u offset=2 (local.get $p)) (local.get $a0)) (i32.mul (i32.load8_u offset=2 (local.get $q)) (local.get $a1))))
        (local.set $dx (i32.add (local.get $dx) (i32.const 1)))
        (br $next))))

  ;; OpenCV's vector kernel for one element: ((h0 >> 4)·b0 >> 16) + ((h1 >> 4)·b1 >> 16) + 2 >> 2, at most 255.
  (func $vec1 (param $h0 i32) (param $h1 i32) (param $b0 i32) (param $b1 i32) (result i32)
    (local $v i32)
    (local.set $v (i32.shr_s (i32.add (i32.add
      (i32.shr_s (i32.mul (i32.shr_s (local.get $h0) (i32.const 4)) (local.get $b0)) (i32.const 16))
      (i32.shr_s (i32.mul (i32.shr_s (local.get $h1) (i32.const 4)) (local.get $b1)) (i32.const 16))) (i32.const 2)) (i32.const 2)))
    (select (i32.const 255) (local.get $v) (i32.gt_s (local.get $v) (i32.const 255))))

  (func (export "resize")
        (param $src i32) (param $stride i32) (param $dstW i32) (param $dstH i32)
        (param $tap0 i32) (param $tap1 i32) (param $w0 i32) (param $w1 i32)
        (param $r0 i32) (param $r1 i32) (param $b0 i32) (param $b1 i32)
        (param $hA i32) (param $hB i32) (param $out i32) (param $vecEnd i32)
    (local $dy i32) (local $rowA i32) (local $rowB i32) (local $ra i32) (local $rb i32) (local $h0 i32) (local $h1 i32)
    (local $c0 i32) (local $c1 i32) (local $b0v v128) (local $b1v v128) (local $rowLen i32) (local $o i32) (local $e i32)
    (local $v v128) (local $bgr i32) (local $px i32) (local $i i32)
    (local.set $rowA (i32.const -1))
    (local.set $rowB (i32.const -1))
    (local.set $rowLen (i32.mul (local.get $dstW) (i32.const 3)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $dy) (local.get $dstH)))
        (local.set $i (i32.shl (local.get $dy) (i32.const 2)))
        (local.set $ra (i32.load (i32.add (local.get $r0) (local.get $i))))
        (local.set $rb (i32.load (i32.add (local.get $r1) (local.get $i))))
        ;; The two interpolated rows, kept from the previous output row where they are the same.
        ;; h0 for row ra: found, or computed into the slot holding the smaller row.
        (if (i32.eq (local.get $rowA) (local.get $ra))
          (then (local.set $h0 (local.get $hA)))
          (else
            (if (i32.eq (local.get $rowB) (local.get $ra))
              (then (local.set $h0 (local.get $hB)))
              (else
                (if (i32.lt_s (local.get $rowA) (local.get $rowB))
                  (then
                    (call $hrow (i32.add (local.get $src) (i32.mul (local.get $ra) (local.get $stride))) (local.get $dstW)
                      (local.get $tap0) (local.get $tap1) (local.get $w0) (local.get $w1) (local.get $hA))
                    (local.set $rowA (local.get $ra)) (local.set $h0 (local.get $hA)))
                  (else
                    (call $hrow (i32.add (local.get $src) (i32.mul (local.get $ra) (local.get $stride))) (local.get $dstW)
                      (local.get $tap0) (local.get $tap1) (local.get $w0) (local.get $w1) (local.get $hB))
                    (local.set $rowB (local.get $ra)) (local.set $h0 (local.get $hB))))))))
        ;; h1 for row rb: found, or computed into the slot not holding ra.
        (if (i32.eq (local.get $rowA) (local.get $rb))
          (then (local.set $h1 (local.get $hA)))
          (else
            (if (i32.eq (local.get $rowB) (local.get $rb))
              (then (local.set $h1 (local.get $hB)))
              (else
                (if (i32.eq (local.get $rowA) (local.get $ra))
                  (then
                    (call $hrow (i32.add (local.get $src) (i32.mul (local.get $rb) (local.get $stride))) (local.get $dstW)
                      (local.get $tap0) (local.get $tap1) (local.get $w0) (local.get $w1) (local.get $hB))
                    (local.set $rowB (local.get $rb)) (local.set $h1 (local.get $hB)))
                  (else
                    (call $hrow (i32.add (local.get $src) (i32.mul (local.get $rb) (local.get $stride))) (local.get $dstW)
                      (local.get $tap0) (local.get $tap1) (local.get $w0) (local.get $w1) (local.get $hA))
                    (local.set $rowA (local.get $rb)) (local.set $h1 (local.get $hA))))))))
        (local.set $c0 (i32.load (i32.add (local.get $b0) (local.get $i))))
        (local.set $c1 (i32.load (i32.add (local.get $b1) (local.get $i))))
        (local.set $b0v (i32x4.splat (local.get $c0)))
        (local.set $b1v (i32x4.splat (local.get $c1)))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $dy) (local.get $rowLen))))
        ;; The vector kernel over the whole row, four elements at a time, then one at a time.
        (local.set $e (i32.const 0))
        (block $quadsDone
          (loop $quad
            (br_if $quadsDone (i32.gt_u (i32.add (local.get $e) (i32.const 4)) (local.get $rowLen)))
            (local.set $v (i32x4.shr_s (i32x4.add (i32x4.add
              (i32x4.shr_s (i32x4.mul (i32x4.shr_s (v128.load (i32.add (local.get $h0) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 4)) (local.get $b0v)) (i32.const 16))
              (i32x4.shr_s (i32x4.mul (i32x4.shr_s (v128.load (i32.add (local.get $h1) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 4)) (local.get $b1v)) (i32.const 16)))
              (i32x4.splat (i32.const 2))) (i32.const 2)))
            (local.set $v (i32x4.min_s (local.get $v) (i32x4.splat (i32.const 255))))
            (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
            (local.set $v (i8x16.narrow_i16x8_u (local.get $v) (local.get $v)))
            (v128.store32_lane 0 (i32.add (local.get $o) (local.get $e)) (local.get $v))
            (local.set $e (i32.add (local.get $e) (i32.const 4)))
            (br $quad)))
        (block $onesDone
          (loop $one
            (br_if $onesDone (i32.ge_u (local.get $e) (local.get $rowLen)))
            (i32.store8 (i32.add (local.get $o) (local.get $e))
              (call $vec1 (i32.load (i32.add (local.get $h0) (i32.shl (local.get $e) (i32.const 2))))
                          (i32.load (i32.add (local.get $h1) (i32.shl (local.get $e) (i32.const 2)))) (local.get $c0) (local.get $c1)))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $one)))
        ;; OpenCV's scalar kernel for the row's tail past `vecEnd`, in its BGR element order:
        ;; element `bgr` is element px·3 + 2 − (bgr − px·3) of this RGB row.
        (local.set $bgr (local.get $vecEnd))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $bgr) (local.get $rowLen)))
            (local.set $px (i32.div_u (local.get $bgr) (i32.const 3)))
            (local.set $e (i32.sub (i32.add (i32.mul (local.get $px) (i32.const 3)) (i32.const 2)) (i32.sub (local.get $bgr) (i32.mul (local.get $px) (i32.const 3)))))
            (local.set $px (i32.wrap_i64 (i64.shr_s (i64.add (i64.add
              (i64.mul (i64.extend_i32_s (i32.load (i32.add (local.get $h0) (i32.shl (local.get $e) (i32.const 2))))) (i64.extend_i32_s (local.get $c0)))
              (i64.mul (i64.extend_i32_s (i32.load (i32.add (local.get $h1) (i32.shl (local.get $e) (i32.const 2))))) (i64.extend_i32_s (local.get $c1))))
              (i64.const 2097152)) (i64.const 22))))
            (i32.store8 (i32.add (local.get $o) (local.get $e))
              (select (i32.const 255) (local.get $px) (i32.gt_s (local.get $px) (i32.const 255))))
            (local.set $bgr (i32.add (local.get $bgr) (i32.const 1)))
            (br $tail)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 1)))
        (br $row)))))
