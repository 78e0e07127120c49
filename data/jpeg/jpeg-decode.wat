;; A baseline JPEG's entropy-coded scan decoded to component samples, and a region of
;; those samples converted to RGB, reproducing libjpeg-turbo's default decode (as sharp's
;; libvips runs it, through the mozjpeg fork sharp bundles: the same decoder) to the byte: Huffman decoding (T.81 F.2.2), the "slow integer" inverse
;; DCT (libjpeg's jidctint: 13-bit constants, two extra bits between the passes, the SIMD
;; code's saturating clamp), 4:2:0 chroma upsampled by libjpeg's "fancy" triangular filter,
;; and its fixed-point YCbCr → RGB tables. Only the blocks a region needs are transformed;
;; the Huffman data is read up to the region's last row of blocks. Anything a conforming
;; decoder would only warn about traps (`unreachable`): the caller then decodes with sharp.
;; Compiled into jpeg-decode-wasm.ts by `npm run build:wasm`; data/jpeg/decode-region.ts
;; fills in the tables and the layout below and calls it.
;;
;; Memory (byte offsets):
;;     0  DC predictions, i32[3]
;;    64  component descriptors, 3 × 64 bytes of i32: h, v, DC table, AC table, quantisation
;;        table (addresses), first and last needed block column, first and last needed
;;        block row, sample plane (address), its stride, the plane's first column and row
;;   256  coefficients of the block being decoded, i32[64], natural order
;;   512  the inverse DCT's workspace, i32[64]
;;   768  zig-zag position → natural index, u8[64]
;;  1024  colour tables i32[256] each: Cr→R, Cb→B, Cr→G, Cb→G (libjpeg's build_ycc_rgb_table)
;;  5120  saturation table u8[1024]: index v + 384 → v clamped to 0–255
;;  6144  quantisation tables, 3 × i32[64], zig-zag order
;;  8192  Huffman tables, 8 × 1536 bytes: look-up u16[512] (9 bits → length << 8 | symbol,
;;        0 for longer codes), largest code per length i32[18] at +1024, symbol index offset
;;        per length i32[17] at +1096, symbols u8[256] at +1164
;; 20480  the caller's: the entropy-coded data, sample planes, row sums, output
(module
  (memory (export "memory") 1)

  ;; The bit reader: next byte, end of data, buffered bits (the next one highest of the
  ;; `count` low bits), and the zero bits appended after reaching a marker or the end.
  (global $pos (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))
  (global $bits (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (global $pad (mut i32) (i32.const 0))

  ;; Tops the buffer up to at least 17 bits; stuffed 0xFF 0x00 is a 0xFF data byte, any
  ;; other marker (or the end) stops the data and zeros follow.
  (func $fill
    (local $byte i32)
    (block $done
      (loop $more
        (br_if $done (i32.gt_s (global.get $count) (i32.const 16)))
        (local.set $byte (i32.const 0))
        (if (i32.and (i32.eqz (global.get $pad)) (i32.lt_u (global.get $pos) (global.get $end)))
          (then
            (local.set $byte (i32.load8_u (global.get $pos)))
            (if (i32.eq (local.get $byte) (i32.const 255))
              (then
                (if (i32.and (i32.lt_u (i32.add (global.get $pos) (i32.const 1)) (global.get $end))
                             (i32.eqz (i32.load8_u offset=1 (global.get $pos))))
                  (then (global.set $pos (i32.add (global.get $pos) (i32.const 2))))
                  (else
                    (local.set $byte (i32.const 0))
                    (global.set $pad (i32.const 8)))))
              (else (global.set $pos (i32.add (global.get $pos) (i32.const 1))))))
          (else (global.set $pad (i32.add (global.get $pad) (i32.const 8)))))
        (global.set $bits (i32.or (i32.shl (global.get $bits) (i32.const 8)) (local.get $byte)))
        (global.set $count (i32.add (global.get $count) (i32.const 8)))
        (br $more))))

  ;; The next Huffman-coded symbol of the table at `t`.
  (func $symbol (param $t i32) (result i32)
    (local $e i32)
    (if (i32.lt_s (global.get $count) (i32.const 16)) (then (call $fill)))
    (local.set $e (i32.load16_u
      (i32.add (local.get $t)
        (i32.shl (i32.and (i32.shr_u (global.get $bits) (i32.sub (global.get $count) (i32.const 9))) (i32.const 511))
                 (i32.const 1)))))
    (if (result i32) (local.get $e)
      (then
        (global.set $count (i32.sub (global.get $count) (i32.shr_u (local.get $e) (i32.const 8))))
        (i32.and (local.get $e) (i32.const 255)))
      (else (call $longSymbol (local.get $t)))))

  ;; A code longer than the look-up's 9 bits (the buffer holds at least 16): found by its
  ;; length, through the largest code of each length.
  (func $longSymbol (param $t i32) (result i32)
    (local $len i32) (local $code i32)
    (local.set $len (i32.const 10))
    (local.set $code (i32.and (i32.shr_u (global.get $bits) (i32.sub (global.get $count) (i32.const 10))) (i32.const 1023)))
    (block $found
      (loop $longer
        (br_if $found (i32.le_s (local.get $code)
          (i32.load offset=1024 (i32.add (local.get $t) (i32.shl (local.get $len) (i32.const 2))))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        ;; In no table.
        (if (i32.gt_s (local.get $len) (i32.const 16)) (then unreachable))
        (local.set $code (i32.and (i32.shr_u (global.get $bits) (i32.sub (global.get $count) (local.get $len)))
                                  (i32.sub (i32.shl (i32.const 1) (local.get $len)) (i32.const 1))))
        (br $longer)))
    (global.set $count (i32.sub (global.get $count) (local.get $len)))
    (i32.load8_u offset=1164 (i32.add (local.get $t)
      (i32.add (i32.load offset=1096 (i32.add (local.get $t) (i32.shl (local.get $len) (i32.const 2)))) (local.get $code)))))

  ;; The next `s` bits (1–15) as a signed value (T.81 EXTEND).
  (func $extend (param $s i32) (result i32)
    (local $v i32)
    (if (i32.lt_s (global.get $count) (local.get $s)) (then (call $fill)))
    (global.set $count (i32.sub (global.get $count) (local.get $s)))
    (local.set $v (i32.and (i32.shr_u (global.get $bits) (global.get $count))
                           (i32.sub (i32.shl (i32.const 1) (local.get $s)) (i32.const 1))))
    (if (result i32) (i32.lt_s (local.get $v) (i32.shl (i32.const 1) (i32.sub (local.get $s) (i32.const 1))))
      (then (i32.add (i32.sub (local.get $v) (i32.shl (i32.const 1) (local.get $s))) (i32.const 1)))
      (else (local.get $v))))

  ;; One block of component `slot`: the DC difference added to its prediction; with `store`,
  ;; the dequantised coefficients (table `q`, zig-zag order) written at 256 in natural order.
  (func $block (param $dcT i32) (param $acT i32) (param $q i32) (param $slot i32) (param $store i32)
    (local $s i32) (local $dc i32) (local $k i32) (local $rs i32) (local $r i32) (local $v i32)
    (local.set $s (call $symbol (local.get $dcT)))
    (if (i32.gt_u (local.get $s) (i32.const 15)) (then unreachable))
    (local.set $dc (i32.load (i32.shl (local.get $slot) (i32.const 2))))
    (if (local.get $s) (then (local.set $dc (i32.add (local.get $dc) (call $extend (local.get $s))))))
    (i32.store (i32.shl (local.get $slot) (i32.const 2)) (local.get $dc))
    (if (local.get $store)
      (then
        (memory.fill (i32.const 256) (i32.const 0) (i32.const 256))
        (local.set $v (i32.mul (local.get $dc) (i32.load (local.get $q))))
        ;; Past 16 bits libjpeg-turbo's product wraps (see $idct).
        (if (i32.gt_u (i32.add (local.get $v) (i32.const 32768)) (i32.const 65535)) (then unreachable))
        (i32.store (i32.const 256) (local.get $v))))
    (local.set $k (i32.const 1))
    (block $eob
      (loop $ac
        (br_if $eob (i32.gt_s (local.get $k) (i32.const 63)))
        ;; The run/size symbol (the look-up inline; see $symbol).
        (if (i32.lt_s (global.get $count) (i32.const 16)) (then (call $fill)))
        (local.set $rs (i32.load16_u
          (i32.add (local.get $acT)
            (i32.shl (i32.and (i32.shr_u (global.get $bits) (i32.sub (global.get $count) (i32.const 9))) (i32.const 511))
                     (i32.const 1)))))
        (if (local.get $rs)
          (then
            (global.set $count (i32.sub (global.get $count) (i32.shr_u (local.get $rs) (i32.const 8))))
            (local.set $rs (i32.and (local.get $rs) (i32.const 255))))
          (else (local.set $rs (call $longSymbol (local.get $acT)))))
        (local.set $r (i32.shr_u (local.get $rs) (i32.const 4)))
        (local.set $s (i32.and (local.get $rs) (i32.const 15)))
        (if (i32.eqz (local.get $s))
          (then
            ;; End of block, or sixteen zeros.
            (br_if $eob (i32.ne (local.get $r) (i32.const 15)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $ac)))
        (local.set $k (i32.add (local.get $k) (local.get $r)))
        (if (i32.gt_s (local.get $k) (i32.const 63)) (then unreachable))
        ;; Its value (see $extend).
        (if (i32.lt_s (global.get $count) (local.get $s)) (then (call $fill)))
        (global.set $count (i32.sub (global.get $count) (local.get $s)))
        (local.set $v (i32.and (i32.shr_u (global.get $bits) (global.get $count))
                               (i32.sub (i32.shl (i32.const 1) (local.get $s)) (i32.const 1))))
        (local.set $v (select
          (i32.add (i32.sub (local.get $v) (i32.shl (i32.const 1) (local.get $s))) (i32.const 1))
          (local.get $v)
          (i32.lt_s (local.get $v) (i32.shl (i32.const 1) (i32.sub (local.get $s) (i32.const 1))))))
        (if (local.get $store)
          (then
            (local.set $v (i32.mul (local.get $v) (i32.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2))))))
            (if (i32.gt_u (i32.add (local.get $v) (i32.const 32768)) (i32.const 65535)) (then unreachable))
            (i32.store offset=256 (i32.shl (i32.load8_u offset=768 (local.get $k)) (i32.const 2)) (local.get $v))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ac)))
    ;; More bits taken than the data held.
    (if (i32.lt_s (global.get $count) (global.get $pad)) (then unreachable)))

  ;; RSTm must come next, after at most 7 bits of padding: then the reader starts afresh.
  (func $restart (param $m i32)
    (call $fill)
    (if (i32.or
          (i32.or (i32.eqz (global.get $pad))
                  (i32.gt_s (i32.sub (global.get $count) (global.get $pad)) (i32.const 7)))
          (i32.or (i32.ge_u (i32.add (global.get $pos) (i32.const 1)) (global.get $end))
                  (i32.or (i32.ne (i32.load8_u (global.get $pos)) (i32.const 255))
                          (i32.ne (i32.load8_u offset=1 (global.get $pos)) (i32.add (i32.const 208) (local.get $m))))))
      (then unreachable))
    (global.set $pos (i32.add (global.get $pos) (i32.const 2)))
    (global.set $bits (i32.const 0))
    (global.set $count (i32.const 0))
    (global.set $pad (i32.const 0)))


  ;; The inverse DCT of the coefficients at 256 into 8 × 8 samples at `out`, rows `stride` apart.
  ;; libjpeg-turbo's SIMD inverse DCT (what sharp's mozjpeg build runs) works in 16-bit lanes:
  ;; it dequantises in 16 bits, adds pairs of inputs in 16 bits, and saturates pass 1's
  ;; results to 16 bits before pass 2 adds pairs of them. Here the arithmetic is 32-bit: a
  ;; dequantised coefficient past ±32767 traps in $block (its 16-bit product would wrap, and
  ;; the 32-bit sums below could too), after which every 32-bit step here is exact; then a
  ;; pass-1 result beyond ±16383 traps: within that bound both agree to the bit (the
  ;; transform keeps a column's norm, so its largest result is at least 4 × its largest
  ;; dequantised coefficient, and every 16-bit step before it is within range too). No photo
  ;; comes near either bound (all 10,000 LSPET images decode); a crafted file does, and sharp
  ;; decodes that one.
  ;; Pass 2's saturation is the final clamp.
  (func $idct (param $out i32) (param $stride i32)
    (local $p i32) (local $c i32)
    (local $d0 i32) (local $d1 i32) (local $d2 i32) (local $d3 i32) (local $d4 i32) (local $d5 i32) (local $d6 i32) (local $d7 i32)
    (local $z1 i32) (local $z2 i32) (local $z3 i32) (local $z4 i32) (local $z5 i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $t10 i32) (local $t11 i32) (local $t12 i32) (local $t13 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $v i32) (local $bad i32)
    ;; Pass 1: columns, into the workspace scaled by 2^2.
    (local.set $c (i32.const 0))
    (loop $col
      (local.set $p (i32.add (i32.const 256) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $d0 (i32.load offset=0 (local.get $p)))
      (local.set $d1 (i32.load offset=32 (local.get $p)))
      (local.set $d2 (i32.load offset=64 (local.get $p)))
      (local.set $d3 (i32.load offset=96 (local.get $p)))
      (local.set $d4 (i32.load offset=128 (local.get $p)))
      (local.set $d5 (i32.load offset=160 (local.get $p)))
      (local.set $d6 (i32.load offset=192 (local.get $p)))
      (local.set $d7 (i32.load offset=224 (local.get $p)))
      (if (i32.eqz (i32.or (i32.or (i32.or (local.get $d1) (local.get $d2)) (i32.or (local.get $d3) (local.get $d4)))
                           (i32.or (i32.or (local.get $d5) (local.get $d6)) (local.get $d7))))
        (then
          (local.set $t0 (i32.shl (local.get $d0) (i32.const 2)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $t0) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=256 (local.get $p) (local.get $t0))
          (i32.store offset=288 (local.get $p) (local.get $t0))
          (i32.store offset=320 (local.get $p) (local.get $t0))
          (i32.store offset=352 (local.get $p) (local.get $t0))
          (i32.store offset=384 (local.get $p) (local.get $t0))
          (i32.store offset=416 (local.get $p) (local.get $t0))
          (i32.store offset=448 (local.get $p) (local.get $t0))
          (i32.store offset=480 (local.get $p) (local.get $t0)))
        (else
          (local.set $z1 (i32.mul (i32.add (local.get $d2) (local.get $d6)) (i32.const 4433)))
          (local.set $t2 (i32.sub (local.get $z1) (i32.mul (local.get $d6) (i32.const 15137))))
          (local.set $t3 (i32.add (local.get $z1) (i32.mul (local.get $d2) (i32.const 6270))))
          (local.set $t0 (i32.shl (i32.add (local.get $d0) (local.get $d4)) (i32.const 13)))
          (local.set $t1 (i32.shl (i32.sub (local.get $d0) (local.get $d4)) (i32.const 13)))
          (local.set $t10 (i32.add (local.get $t0) (local.get $t3)))
          (local.set $t13 (i32.sub (local.get $t0) (local.get $t3)))
          (local.set $t11 (i32.add (local.get $t1) (local.get $t2)))
          (local.set $t12 (i32.sub (local.get $t1) (local.get $t2)))
          (local.set $z1 (i32.add (local.get $d7) (local.get $d1)))
          (local.set $z2 (i32.add (local.get $d5) (local.get $d3)))
          (local.set $z3 (i32.add (local.get $d7) (local.get $d3)))
          (local.set $z4 (i32.add (local.get $d5) (local.get $d1)))
          (local.set $z5 (i32.mul (i32.add (local.get $z3) (local.get $z4)) (i32.const 9633)))
          (local.set $o0 (i32.mul (local.get $d7) (i32.const 2446)))
          (local.set $o1 (i32.mul (local.get $d5) (i32.const 16819)))
          (local.set $o2 (i32.mul (local.get $d3) (i32.const 25172)))
          (local.set $o3 (i32.mul (local.get $d1) (i32.const 12299)))
          (local.set $z1 (i32.mul (local.get $z1) (i32.const -7373)))
          (local.set $z2 (i32.mul (local.get $z2) (i32.const -20995)))
          (local.set $z3 (i32.add (i32.mul (local.get $z3) (i32.const -16069)) (local.get $z5)))
          (local.set $z4 (i32.add (i32.mul (local.get $z4) (i32.const -3196)) (local.get $z5)))
          (local.set $o0 (i32.add (local.get $o0) (i32.add (local.get $z1) (local.get $z3))))
          (local.set $o1 (i32.add (local.get $o1) (i32.add (local.get $z2) (local.get $z4))))
          (local.set $o2 (i32.add (local.get $o2) (i32.add (local.get $z2) (local.get $z3))))
          (local.set $o3 (i32.add (local.get $o3) (i32.add (local.get $z1) (local.get $z4))))
          (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t10) (local.get $o3)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=256 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t10) (local.get $o3)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=480 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t11) (local.get $o2)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=288 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t11) (local.get $o2)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=448 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t12) (local.get $o1)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=320 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t12) (local.get $o1)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=416 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t13) (local.get $o0)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=352 (local.get $p) (local.get $v))
          (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t13) (local.get $o0)) (i32.const 1024)) (i32.const 11)))
          (local.set $bad (i32.or (local.get $bad) (i32.gt_u (i32.add (local.get $v) (i32.const 16383)) (i32.const 32766))))
          (i32.store offset=384 (local.get $p) (local.get $v))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $col (i32.lt_u (local.get $c) (i32.const 8))))
    (if (local.get $bad) (then unreachable))
    ;; Pass 2: rows, descaled by 2^(13 + 2 + 3), clamped into bytes.
    (local.set $p (i32.const 512))
    (loop $row
      (local.set $d0 (i32.load offset=0 (local.get $p)))
      (local.set $d1 (i32.load offset=4 (local.get $p)))
      (local.set $d2 (i32.load offset=8 (local.get $p)))
      (local.set $d3 (i32.load offset=12 (local.get $p)))
      (local.set $d4 (i32.load offset=16 (local.get $p)))
      (local.set $d5 (i32.load offset=20 (local.get $p)))
      (local.set $d6 (i32.load offset=24 (local.get $p)))
      (local.set $d7 (i32.load offset=28 (local.get $p)))
      (local.set $z1 (i32.mul (i32.add (local.get $d2) (local.get $d6)) (i32.const 4433)))
      (local.set $t2 (i32.sub (local.get $z1) (i32.mul (local.get $d6) (i32.const 15137))))
      (local.set $t3 (i32.add (local.get $z1) (i32.mul (local.get $d2) (i32.const 6270))))
      (local.set $t0 (i32.shl (i32.add (local.get $d0) (local.get $d4)) (i32.const 13)))
      (local.set $t1 (i32.shl (i32.sub (local.get $d0) (local.get $d4)) (i32.const 13)))
      (local.set $t10 (i32.add (local.get $t0) (local.get $t3)))
      (local.set $t13 (i32.sub (local.get $t0) (local.get $t3)))
      (local.set $t11 (i32.add (local.get $t1) (local.get $t2)))
      (local.set $t12 (i32.sub (local.get $t1) (local.get $t2)))
      (local.set $z1 (i32.add (local.get $d7) (local.get $d1)))
      (local.set $z2 (i32.add (local.get $d5) (local.get $d3)))
      (local.set $z3 (i32.add (local.get $d7) (local.get $d3)))
      (local.set $z4 (i32.add (local.get $d5) (local.get $d1)))
      (local.set $z5 (i32.mul (i32.add (local.get $z3) (local.get $z4)) (i32.const 9633)))
      (local.set $o0 (i32.mul (local.get $d7) (i32.const 2446)))
      (local.set $o1 (i32.mul (local.get $d5) (i32.const 16819)))
      (local.set $o2 (i32.mul (local.get $d3) (i32.const 25172)))
      (local.set $o3 (i32.mul (local.get $d1) (i32.const 12299)))
      (local.set $z1 (i32.mul (local.get $z1) (i32.const -7373)))
      (local.set $z2 (i32.mul (local.get $z2) (i32.const -20995)))
      (local.set $z3 (i32.add (i32.mul (local.get $z3) (i32.const -16069)) (local.get $z5)))
      (local.set $z4 (i32.add (i32.mul (local.get $z4) (i32.const -3196)) (local.get $z5)))
      (local.set $o0 (i32.add (local.get $o0) (i32.add (local.get $z1) (local.get $z3))))
      (local.set $o1 (i32.add (local.get $o1) (i32.add (local.get $z2) (local.get $z4))))
      (local.set $o2 (i32.add (local.get $o2) (i32.add (local.get $z2) (local.get $z3))))
      (local.set $o3 (i32.add (local.get $o3) (i32.add (local.get $z1) (local.get $z4))))
      (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t10) (local.get $o3)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=0 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t10) (local.get $o3)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=7 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t11) (local.get $o2)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=1 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t11) (local.get $o2)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=6 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t12) (local.get $o1)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=2 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t12) (local.get $o1)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=5 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.add (local.get $t13) (local.get $o0)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=3 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $v (i32.shr_s (i32.add (i32.sub (local.get $t13) (local.get $o0)) (i32.const 131072)) (i32.const 18)))
      (i32.store8 offset=4 (local.get $out) (select (i32.const 0) (select (i32.const 255) (i32.add (local.get $v) (i32.const 128)) (i32.gt_s (local.get $v) (i32.const 127))) (i32.lt_s (local.get $v) (i32.const -128))))
      (local.set $out (i32.add (local.get $out) (local.get $stride)))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br_if $row (i32.lt_u (local.get $p) (i32.const 768)))))

  ;; Decodes the scan whose data is [start, end) through MCU row `rows` − 1 (`mcusX` MCUs a
  ;; row, a restart marker every `interval` MCUs when not 0), transforming the blocks each
  ;; component's descriptor marks as needed into its sample plane.
  (func (export "decode") (param $start i32) (param $end i32) (param $mcusX i32) (param $rows i32) (param $interval i32)
    (local $my i32) (local $mx i32) (local $left i32) (local $next i32)
    (local $c i32) (local $d i32) (local $v i32) (local $h i32) (local $bx i32) (local $by i32) (local $need i32)
    (global.set $pos (local.get $start))
    (global.set $end (local.get $end))
    (global.set $bits (i32.const 0))
    (global.set $count (i32.const 0))
    (global.set $pad (i32.const 0))
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 12))
    (local.set $left (local.get $interval))
    (local.set $my (i32.const 0))
    (block $rowsDone
      (loop $mcuRow
        (br_if $rowsDone (i32.ge_s (local.get $my) (local.get $rows)))
        (local.set $mx (i32.const 0))
        (block $colsDone
          (loop $mcu
            (br_if $colsDone (i32.ge_s (local.get $mx) (local.get $mcusX)))
            (if (local.get $interval)
              (then
                (if (i32.eqz (local.get $left))
                  (then
                    (call $restart (local.get $next))
                    (local.set $next (i32.and (i32.add (local.get $next) (i32.const 1)) (i32.const 7)))
                    (memory.fill (i32.const 0) (i32.const 0) (i32.const 12))
                    (local.set $left (local.get $interval))))
                (local.set $left (i32.sub (local.get $left) (i32.const 1)))))
            (local.set $c (i32.const 0))
            (loop $component
              (local.set $d (i32.add (i32.const 64) (i32.shl (local.get $c) (i32.const 6))))
              (local.set $v (i32.const 0))
              (loop $blockRow
                (local.set $by (i32.add (i32.mul (local.get $my) (i32.load offset=4 (local.get $d))) (local.get $v)))
                (local.set $h (i32.const 0))
                (loop $blockCol
                  (local.set $bx (i32.add (i32.mul (local.get $mx) (i32.load offset=0 (local.get $d))) (local.get $h)))
                  (local.set $need (i32.and
                    (i32.and (i32.ge_s (local.get $bx) (i32.load offset=20 (local.get $d))) (i32.le_s (local.get $bx) (i32.load offset=24 (local.get $d))))
                    (i32.and (i32.ge_s (local.get $by) (i32.load offset=28 (local.get $d))) (i32.le_s (local.get $by) (i32.load offset=32 (local.get $d))))))
                  (call $block (i32.load offset=8 (local.get $d)) (i32.load offset=12 (local.get $d)) (i32.load offset=16 (local.get $d))
                               (local.get $c) (local.get $need))
                  (if (local.get $need)
                    (then
                      (call $idct
                        (i32.add (i32.load offset=36 (local.get $d))
                          (i32.add (i32.mul (i32.sub (i32.shl (local.get $by) (i32.const 3)) (i32.load offset=48 (local.get $d))) (i32.load offset=40 (local.get $d)))
                                   (i32.sub (i32.shl (local.get $bx) (i32.const 3)) (i32.load offset=44 (local.get $d)))))
                        (i32.load offset=40 (local.get $d)))))
                  (local.set $h (i32.add (local.get $h) (i32.const 1)))
                  (br_if $blockCol (i32.lt_s (local.get $h) (i32.load offset=0 (local.get $d)))))
                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                (br_if $blockRow (i32.lt_s (local.get $v) (i32.load offset=4 (local.get $d)))))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br_if $component (i32.lt_s (local.get $c) (i32.const 3))))
            (local.set $mx (i32.add (local.get $mx) (i32.const 1)))
            (br $mcu)))
        (local.set $my (i32.add (local.get $my) (i32.const 1)))
        (br $mcuRow))))

  ;; One pixel: Y, Cb, Cr → RGB at `o` through the colour and saturation tables.
  (func $rgb (param $o i32) (param $y i32) (param $cb i32) (param $cr i32)
    (local $yv i32)
    (local.set $yv (i32.add (local.get $y) (i32.const 5504))) ;; 5120 + 384
    (local.set $cb (i32.shl (local.get $cb) (i32.const 2)))
    (local.set $cr (i32.shl (local.get $cr) (i32.const 2)))
    (i32.store8 offset=0 (local.get $o) (i32.load8_u (i32.add (local.get $yv) (i32.load offset=1024 (local.get $cr)))))
    (i32.store8 offset=1 (local.get $o) (i32.load8_u (i32.add (local.get $yv)
      (i32.shr_s (i32.add (i32.load offset=4096 (local.get $cb)) (i32.load offset=3072 (local.get $cr))) (i32.const 16)))))
    (i32.store8 offset=2 (local.get $o) (i32.load8_u (i32.add (local.get $yv) (i32.load offset=2048 (local.get $cb))))))

  ;; RGB of [x0, x1) × [y0, y1) into `out` from a Y plane and Cb, Cr planes subsampled 2 × 2
  ;; (`cw` × `ch` samples; the planes' address, stride, first column and row each). Each
  ;; chroma sample is upsampled from 3 × nearer + farther row (edge rows repeated), then
  ;; 3 × its column + the neighbour on the pixel's side, +8 on the left, +7 on the right,
  ;; over 16 (edge columns repeated). `sums` holds two rows of i32 column sums.
  (func (export "rgb420")
    (param $yp i32) (param $ys i32) (param $yc0 i32) (param $yr0 i32)
    (param $cbp i32) (param $crp i32) (param $cs i32) (param $cc0 i32) (param $cr0 i32)
    (param $cw i32) (param $ch i32) (param $x0 i32) (param $y0 i32) (param $x1 i32) (param $y1 i32)
    (param $out i32) (param $sums i32)
    (local $jA i32) (local $n i32) (local $y i32) (local $x i32) (local $i i32) (local $other i32)
    (local $near i32) (local $far i32) (local $k i32) (local $j i32) (local $crSums i32) (local $yRow i32)
    (local $odd i32) (local $s i32) (local $sn i32) (local $cbv i32) (local $crv i32) (local $yv i32)
    (local.set $jA (i32.sub (i32.shr_s (local.get $x0) (i32.const 1)) (i32.const 1)))
    (local.set $n (i32.sub (i32.add (i32.shr_s (i32.sub (local.get $x1) (i32.const 1)) (i32.const 1)) (i32.const 2)) (local.get $jA)))
    (local.set $crSums (i32.add (local.get $sums) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $y (local.get $y0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_s (local.get $y) (local.get $y1)))
        (local.set $i (i32.shr_s (local.get $y) (i32.const 1)))
        (local.set $other (select
          (select (i32.sub (local.get $ch) (i32.const 1)) (i32.add (local.get $i) (i32.const 1))
                  (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $ch)))
          (select (i32.const 0) (i32.sub (local.get $i) (i32.const 1)) (i32.eqz (local.get $i)))
          (i32.and (local.get $y) (i32.const 1))))
        (local.set $near (i32.sub (i32.mul (i32.sub (local.get $i) (local.get $cr0)) (local.get $cs)) (local.get $cc0)))
        (local.set $far (i32.sub (i32.mul (i32.sub (local.get $other) (local.get $cr0)) (local.get $cs)) (local.get $cc0)))
        ;; Column sums of chroma columns jA .. jA + n − 1, clamped into the image.
        (local.set $k (i32.const 0))
        (loop $sum
          (local.set $j (i32.add (local.get $jA) (local.get $k)))
          (local.set $j (select (i32.const 0) (local.get $j) (i32.lt_s (local.get $j) (i32.const 0))))
          (local.set $j (select (i32.sub (local.get $cw) (i32.const 1)) (local.get $j) (i32.ge_s (local.get $j) (local.get $cw))))
          (i32.store (i32.add (local.get $sums) (i32.shl (local.get $k) (i32.const 2)))
            (i32.add (i32.mul (i32.load8_u (i32.add (local.get $cbp) (i32.add (local.get $near) (local.get $j)))) (i32.const 3))
                     (i32.load8_u (i32.add (local.get $cbp) (i32.add (local.get $far) (local.get $j))))))
          (i32.store (i32.add (local.get $crSums) (i32.shl (local.get $k) (i32.const 2)))
            (i32.add (i32.mul (i32.load8_u (i32.add (local.get $crp) (i32.add (local.get $near) (local.get $j)))) (i32.const 3))
                     (i32.load8_u (i32.add (local.get $crp) (i32.add (local.get $far) (local.get $j))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $sum (i32.lt_s (local.get $k) (local.get $n))))
        (local.set $yRow (i32.add (local.get $yp)
          (i32.sub (i32.mul (i32.sub (local.get $y) (local.get $yr0)) (local.get $ys)) (local.get $yc0))))
        (local.set $x (local.get $x0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_s (local.get $x) (local.get $x1)))
            (local.set $odd (i32.and (local.get $x) (i32.const 1)))
            ;; Byte offsets of column x/2's sums and of its neighbour on x's side.
            (local.set $s (i32.shl (i32.sub (i32.shr_s (local.get $x) (i32.const 1)) (local.get $jA)) (i32.const 2)))
            (local.set $sn (i32.add (local.get $s) (i32.sub (i32.shl (local.get $odd) (i32.const 3)) (i32.const 4))))
            (local.set $cbv (i32.shr_s
              (i32.sub (i32.add (i32.add (i32.mul (i32.load (i32.add (local.get $sums) (local.get $s))) (i32.const 3))
                                         (i32.load (i32.add (local.get $sums) (local.get $sn))))
                                (i32.const 8))
                       (local.get $odd))
              (i32.const 4)))
            (local.set $crv (i32.shr_s
              (i32.sub (i32.add (i32.add (i32.mul (i32.load (i32.add (local.get $crSums) (local.get $s))) (i32.const 3))
                                         (i32.load (i32.add (local.get $crSums) (local.get $sn))))
                                (i32.const 8))
                       (local.get $odd))
              (i32.const 4)))
            ;; Y, Cb, Cr → RGB (inline $rgb).
            (local.set $yv (i32.add (i32.load8_u (i32.add (local.get $yRow) (local.get $x))) (i32.const 5504)))
            (local.set $cbv (i32.shl (local.get $cbv) (i32.const 2)))
            (local.set $crv (i32.shl (local.get $crv) (i32.const 2)))
            (i32.store8 offset=0 (local.get $out) (i32.load8_u (i32.add (local.get $yv) (i32.load offset=1024 (local.get $crv)))))
            (i32.store8 offset=1 (local.get $out) (i32.load8_u (i32.add (local.get $yv)
              (i32.shr_s (i32.add (i32.load offset=4096 (local.get $cbv)) (i32.load offset=3072 (local.get $crv))) (i32.const 16)))))
            (i32.store8 offset=2 (local.get $out) (i32.load8_u (i32.add (local.get $yv) (i32.load offset=2048 (local.get $cbv)))))
            (local.set $out (i32.add (local.get $out) (i32.const 3)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $col)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row))))

  ;; RGB of [x0, x1) × [y0, y1) into `out` from three full-resolution planes (4:4:4; the
  ;; chroma planes share their stride, first column and row).
  (func (export "rgb444")
    (param $yp i32) (param $ys i32) (param $yc0 i32) (param $yr0 i32)
    (param $cbp i32) (param $crp i32) (param $cs i32) (param $cc0 i32) (param $cr0 i32)
    (param $x0 i32) (param $y0 i32) (param $x1 i32) (param $y1 i32) (param $out i32)
    (local $y i32) (local $x i32) (local $yRow i32) (local $cRow i32)
    (local.set $y (local.get $y0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_s (local.get $y) (local.get $y1)))
        (local.set $yRow (i32.add (local.get $yp) (i32.sub (i32.mul (i32.sub (local.get $y) (local.get $yr0)) (local.get $ys)) (local.get $yc0))))
        (local.set $cRow (i32.sub (i32.mul (i32.sub (local.get $y) (local.get $cr0)) (local.get $cs)) (local.get $cc0)))
        (local.set $x (local.get $x0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_s (local.get $x) (local.get $x1)))
            (call $rgb (local.get $out)
              (i32.load8_u (i32.add (local.get $yRow) (local.get $x)))
              (i32.load8_u (i32.add (local.get $cbp) (i32.add (local.get $cRow) (local.get $x))))
              (i32.load8_u (i32.add (local.get $crp) (i32.add (local.get $cRow) (local.get $x)))))
            (local.set $out (i32.add (local.get $out) (i32.const 3)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $col)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row)))))
