/**
 * A pickle virtual machine that executes nothing (protocols 0–5, as Python 2
 * and 3 write them). It builds an inert description of the pickled object:
 * class instances are records of their class name and state, never
 * constructed; the only callables it honours are an allow-list of array
 * reconstructors (numpy's `_reconstruct`, `dtype`, `scalar`, `_frombuffer`,
 * CuPy's `array` under its successive module names, `copy_reg._reconstructor`
 * for plain objects, `_codecs.encode` to latin-1, `collections.OrderedDict`).
 * Any other call — `os.system`, `posix.system`, `subprocess.*`,
 * `builtins.eval`, … — is refused with one line naming it, as is any global
 * from a module that can reach the system. Memo, stack, nesting and string
 * sizes are bounded; a truncated pickle is a one-line error.
 *
 * Large byte strings (array payloads) are not kept: they are recorded as
 * `{offset, length}` in the file and skipped, so a 1 GB pickle streams
 * through one read window and its arrays are read later, only if wanted.
 */
import { PickleError } from '../errors.js';
import { FileByteSource, TruncatedError } from './byte-source.js';

/** Bytes kept by reference (file offset) instead of in memory above this size. */
export const LAZY_BYTES = 64 * 1024;

export interface PickleLimits {
  readonly maxMemo: number;
  readonly maxStack: number;
  /** Depth of MARK frames (open tuples, lists, dicts being built). */
  readonly maxMarks: number;
  /** Largest string or bytes held in memory (larger byte strings are references; larger text is refused). */
  readonly maxInlineBytes: number;
  readonly maxOps: number;
}

export const DEFAULT_LIMITS: PickleLimits = {
  maxMemo: 1 << 20,
  maxStack: 1 << 20,
  maxMarks: 256,
  maxInlineBytes: 64 << 20,
  maxOps: 1e8,
};

export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A byte string left in the file: `length` bytes at `offset`. */
export class LazyBytes {
  constructor(readonly offset: number, readonly length: number) {}
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyList {
  constructor(readonly items: PyValue[]) {}
}

export class PySet {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly entries: [PyValue, PyValue][] = [];
  /** Index of primitive keys in `entries` (a pickle may hold 100,000 items: no linear search). */
  private readonly index = new Map<PyValue, number>();
  set(k: PyValue, v: PyValue): void {
    const primitive = k === null || typeof k !== 'object';
    const i = primitive ? this.index.get(k) : undefined;
    if (i !== undefined) this.entries[i]![1] = v;
    else {
      if (primitive) this.index.set(k, this.entries.length);
      this.entries.push([k, v]);
    }
  }
  get(k: string): PyValue | undefined {
    const i = this.index.get(k);
    return i === undefined ? undefined : this.entries[i]![1];
  }
}

/** An instance of a class, never constructed: its class, NEWOBJ/INST arguments and BUILD state. */
export class PyObject {
  state: PyValue | undefined;
  readonly listItems: PyValue[] = [];
  constructor(readonly cls: PyGlobal, readonly args: readonly PyValue[]) {}
}

/** numpy dtype as pickled: `numpy.dtype('f4', False, True)` + BUILD `(3, '<', …)`. */
export class PyDType {
  order = '|';
  constructor(readonly descr: string) {}
}

/** An ndarray description: dtype, shape, order and where its bytes are. */
export class PyArray {
  dtype: PyDType | undefined;
  shape: number[] = [];
  fortran = false;
  data: Uint8Array | LazyBytes | undefined;
  /** `gpu` when pickled as a CuPy array (the model sat on the GPU). */
  device: 'cpu' | 'gpu' = 'cpu';
  /** The reconstructor that produced it, e.g. `cupy.creation.from_data.array`. */
  via: string;
  constructor(via: string) {
    this.via = via;
  }
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array
  | LazyBytes | PyTuple | PyList | PySet | PyDict | PyObject | PyGlobal | PyDType | PyArray;

const NUMPY_RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);
const NUMPY_DTYPE = new Set(['numpy.dtype']);
const NUMPY_SCALAR = new Set(['numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar']);
const NUMPY_FROMBUFFER = new Set(['numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer']);
const NUMPY_NDARRAY = new Set(['numpy.ndarray']);
/** CuPy's pickled arrays: `array(<numpy array>)` under the names CuPy used over time. */
const CUPY_ARRAY = new Set([
  'cupy.creation.from_data.array', 'cupy._creation.from_data.array', 'cupy.core.core.array', 'cupy._core.core.array',
  'cupy.core.core._array_default', 'cupy._core.core._array_default', 'cupy.array', 'cupy.asarray',
]);
const RECONSTRUCTOR = new Set(['copy_reg._reconstructor', 'copyreg._reconstructor']);
const PLAIN_OBJECT = new Set(['__builtin__.object', 'builtins.object']);
const CODECS_ENCODE = new Set(['_codecs.encode']);
const ORDERED_DICT = new Set(['collections.OrderedDict']);

/** Modules whose globals are refused on sight: they reach the system, the interpreter or other code. */
const FORBIDDEN_MODULES = new Set([
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'builtins', '__builtin__', 'shutil', 'socket', 'importlib',
  'pickle', 'cPickle', '_pickle', 'marshal', 'runpy', 'types', 'code', 'codeop', 'ctypes', 'pty', 'commands', 'platform',
  'webbrowser', 'multiprocessing', 'threading', 'signal', 'io', 'tempfile', 'glob', 'pathlib', 'functools', 'operator',
  'inspect', 'pdb', 'timeit', 'trace', 'imp', 'zipimport', 'pkgutil', 'asyncio', 'http', 'urllib', 'urllib2', 'ftplib',
  'smtplib', 'telnetlib', 'bdb', 'cProfile', 'profile', 'distutils', 'setuptools', 'pip', 'site', 'gc', 'weakref', 'copy',
  'numpy.testing', 'numpy.f2py', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.lib.format', 'numpy.load', 'torch',
]);

function moduleRoot(module: string): string[] {
  const parts = module.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

function isForbidden(g: PyGlobal): boolean {
  if (PLAIN_OBJECT.has(g.qualified)) return false;
  return moduleRoot(g.module).some((m) => FORBIDDEN_MODULES.has(m)) || /^(eval|exec|compile|open|__import__|getattr|setattr|system|popen|execfile|input|apply)$/.test(g.name);
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

function int32(b: Uint8Array): number {
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24));
}

function uint32(b: Uint8Array): number {
  return int32(b) >>> 0;
}

function uint64(b: Uint8Array): number {
  const lo = uint32(b.subarray(0, 4));
  const hi = uint32(b.subarray(4, 8));
  if (hi >= 0x200000) throw new RangeError('a length beyond 2^53');
  return hi * 2 ** 32 + lo;
}

/** Two's complement little-endian integer (LONG1/LONG4). */
function longLE(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python 2 `repr` of a str, as protocol 0's STRING writes it, back to bytes. */
function unescapePyString(text: string): Uint8Array {
  const q = text[0];
  if ((q !== '"' && q !== "'") || text[text.length - 1] !== q) throw new PickleError(`STRING argument is not quoted: ${text.slice(0, 40)}`);
  const s = text.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const n = s[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
    if (n === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n !== undefined && /[0-7]/.test(n)) {
      let j = i;
      while (j < i + 3 && j < s.length && /[0-7]/.test(s[j]!)) j++;
      out.push(parseInt(s.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (n !== undefined && n in simple) out.push(simple[n]!);
    else {
      out.push(92);
      if (n !== undefined) out.push(n.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** `raw-unicode-escape` text (protocol 0's UNICODE). */
function unescapeRawUnicode(bytes: Uint8Array): string {
  return latin1.decode(bytes).replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string, b: string) => String.fromCodePoint(parseInt(a ?? b, 16)));
}

function describe(v: Slot | undefined): string {
  if (v === MARK) return 'a mark';
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (typeof v !== 'object') return typeof v;
  if (v instanceof PyGlobal) return v.qualified;
  return v.constructor.name;
}

/**
 * Runs the pickle in `file` (from `source`, positioned at its first byte)
 * and returns the unpickled value. `file` is for messages.
 */
export function unpickle(source: FileByteSource, file: string, limits: PickleLimits = DEFAULT_LIMITS): PyValue {
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let ops = 0;
  let op = 0;
  let opAt = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`${file}: ${msg} (opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opAt})`);
  };
  const push = (v: PyValue) => {
    if (stack.length >= limits.maxStack) fail(`pickle stack deeper than ${limits.maxStack} items`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail(`stack underflow (found ${describe(v)})`);
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    const items = stack.splice(m!) as Slot[];
    items.shift();
    return items as PyValue[];
  };
  const memoPut = (i: number, v: PyValue) => {
    if (!Number.isSafeInteger(i) || i < 0) fail(`bad memo index ${i}`);
    if (!memo.has(i) && memo.size >= limits.maxMemo) fail(`memo larger than ${limits.maxMemo} entries`);
    memo.set(i, v);
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo entry ${i} read before it was written`);
    return memo.get(i)!;
  };
  const bytesOf = (n: number, text: boolean): Uint8Array | LazyBytes => {
    if (n < 0) fail(`negative length ${n}`);
    if (!text && n > LAZY_BYTES) {
      const at = source.position;
      source.skip(n);
      return new LazyBytes(at, n);
    }
    if (n > limits.maxInlineBytes) fail(`a text of ${n} bytes, more than the ${limits.maxInlineBytes}-byte limit`);
    return Uint8Array.from(source.read(n));
  };
  /** Python 2 str (BINSTRING): text when short, lazily referenced bytes when long. */
  const py2str = (n: number): PyValue => {
    const b = bytesOf(n, false);
    return b instanceof LazyBytes ? b : latin1.decode(b);
  };
  const text = (n: number): string => utf8.decode(bytesOf(n, true) as Uint8Array);
  const global = (module: string, name: string): PyGlobal => {
    const g = new PyGlobal(module, name);
    if (isForbidden(g)) fail(`refused global ${g.qualified}: the safe reader executes nothing and only honours numpy/CuPy array reconstructors`);
    return g;
  };
  const call = (fn: PyValue, args: PyValue[]): PyValue => {
    if (!(fn instanceof PyGlobal)) return fail(`REDUCE of ${describe(fn)}, not a global`);
    const q = fn.qualified;
    if (NUMPY_RECONSTRUCT.has(q)) {
      if (!(args[0] instanceof PyGlobal) || !NUMPY_NDARRAY.has(args[0].qualified)) fail(`${q} of ${describe(args[0])}, expected numpy.ndarray`);
      return new PyArray(q);
    }
    if (NUMPY_DTYPE.has(q)) {
      const d = args[0];
      const s = typeof d === 'string' ? d : d instanceof Uint8Array ? latin1.decode(d) : fail(`numpy.dtype of ${describe(d)}`);
      return new PyDType(s as string);
    }
    if (CUPY_ARRAY.has(q)) {
      const a = args[0];
      if (!(a instanceof PyArray)) return fail(`${q} of ${describe(a)}, expected a numpy array`);
      a.device = 'gpu';
      a.via = q;
      return a;
    }
    if (NUMPY_SCALAR.has(q)) {
      const [dt, raw] = args;
      if (!(dt instanceof PyDType)) return fail(`${q} without a dtype`);
      const b = typeof raw === 'string' ? Uint8Array.from(raw, (c) => c.charCodeAt(0)) : raw instanceof Uint8Array ? raw : fail(`${q} without bytes`);
      return scalarOf(dt, b as Uint8Array, q);
    }
    if (NUMPY_FROMBUFFER.has(q)) {
      const [buf, dt, shape, order] = args;
      const a = new PyArray(q);
      a.dtype = dt instanceof PyDType ? dt : fail(`${q} without a dtype`) as never;
      a.shape = shapeOf(shape);
      a.fortran = order === 'F';
      a.data = buf instanceof Uint8Array || buf instanceof LazyBytes ? buf : typeof buf === 'string' ? Uint8Array.from(buf, (c) => c.charCodeAt(0)) : fail(`${q} without a buffer`) as never;
      return a;
    }
    if (RECONSTRUCTOR.has(q)) {
      const [cls, base, state] = args;
      if (!(cls instanceof PyGlobal)) return fail(`${q} of ${describe(cls)}, expected a class`);
      if (!(base instanceof PyGlobal) || !PLAIN_OBJECT.has(base.qualified)) fail(`${q} with base ${describe(base)}, expected object`);
      if (state !== null && state !== undefined) fail(`${q} with a base state, expected None`);
      return new PyObject(cls, []);
    }
    if (CODECS_ENCODE.has(q)) {
      const [s, enc] = args;
      if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) return fail(`${q} other than a str to latin1`);
      return Uint8Array.from(s as string, (c) => c.charCodeAt(0) & 0xff);
    }
    if (ORDERED_DICT.has(q)) {
      const d = new PyDict();
      const items = args[0];
      if (items instanceof PyList || items instanceof PyTuple) {
        for (const it of items.items) if (it instanceof PyTuple && it.items.length === 2) d.set(it.items[0]!, it.items[1]!);
      }
      return d;
    }
    return fail(`refused call of ${q}: the safe reader executes nothing and only honours numpy/CuPy array reconstructors`);
  };
  const build = (obj: PyValue, state: PyValue): void => {
    if (obj instanceof PyArray) {
      if (!(state instanceof PyTuple)) return void fail(`ndarray state is ${describe(state)}, expected a tuple`);
      // (version, shape, dtype, is_fortran, data) or, before numpy 1.?, without the version.
      const it = state.items.length === 5 ? state.items.slice(1) : state.items;
      if (it.length !== 4) return void fail(`ndarray state has ${state.items.length} items, expected 4 or 5`);
      const [shape, dt, fortran, data] = it;
      obj.shape = shapeOf(shape);
      if (!(dt instanceof PyDType)) return void fail(`ndarray dtype is ${describe(dt)}`);
      obj.dtype = dt;
      obj.fortran = fortran === true || fortran === 1;
      if (typeof data === 'string') obj.data = Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
      else if (data instanceof Uint8Array || data instanceof LazyBytes) obj.data = data;
      else if (data instanceof PyList) fail('object arrays (a list of Python objects as data) are not supported; expected a numeric array');
      else fail(`ndarray data is ${describe(data)}`);
      return;
    }
    if (obj instanceof PyDType) {
      if (state instanceof PyTuple && typeof state.items[1] === 'string') obj.order = state.items[1];
      if (state instanceof PyTuple && state.items[2] !== null && state.items[2] !== undefined) fail(`structured dtype ${obj.descr} is not supported`);
      return;
    }
    if (obj instanceof PyObject) {
      obj.state = state;
      return;
    }
    fail(`BUILD on ${describe(obj)}`);
  };
  const shapeOf = (v: PyValue | undefined): number[] => {
    if (!(v instanceof PyTuple) && !(v instanceof PyList)) return fail(`array shape is ${describe(v)}, expected a tuple`);
    return v.items.map((d) => {
      const n = typeof d === 'bigint' ? Number(d) : d;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`bad array dimension ${String(d)}`);
      return n as number;
    });
  };

  try {
    for (;;) {
      opAt = source.position;
      op = source.byte();
      if (op < 0) fail('truncated: the file ends before the pickle STOP opcode');
      if (++ops > limits.maxOps) fail(`more than ${limits.maxOps} opcodes`);
      switch (op) {
        case 0x80: { // PROTO
          const v = source.read(1)[0]!;
          if (v > 5) fail(`pickle protocol ${v} is newer than 5`);
          break;
        }
        case 0x95: source.read(8); break; // FRAME: a hint only
        case 0x2e: { // STOP
          const v = pop();
          return v;
        }
        case 0x28: // MARK
          if (marks.length >= limits.maxMarks) fail(`nesting deeper than ${limits.maxMarks} levels`);
          marks.push(stack.length);
          stack.push(MARK);
          break;
        case 0x30: pop(); break; // POP
        case 0x31: popMark(); break; // POP_MARK
        case 0x32: push(top()); break; // DUP
        case 0x4e: push(null); break; // NONE
        case 0x88: push(true); break; // NEWTRUE
        case 0x89: push(false); break; // NEWFALSE
        case 0x4a: push(int32(source.read(4))); break; // BININT
        case 0x4b: push(source.read(1)[0]!); break; // BININT1
        case 0x4d: { const b = source.read(2); push(b[0]! | (b[1]! << 8)); break; } // BININT2
        case 0x49: { // INT (protocol 0; I01/I00 are True/False)
          const s = latin1.decode(source.line(64)).trim();
          if (s === '01') push(true);
          else if (s === '00') push(false);
          else {
            const n = Number(s);
            if (!Number.isSafeInteger(n)) push(BigInt(s));
            else push(n);
          }
          break;
        }
        case 0x4c: { // LONG
          const s = latin1.decode(source.line(4096)).trim().replace(/L$/, '');
          if (!/^-?\d+$/.test(s)) fail(`bad LONG ${s.slice(0, 40)}`);
          const b = BigInt(s);
          push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
          break;
        }
        case 0x8a: push(longLE(Uint8Array.from(source.read(source.read(1)[0]!)))); break; // LONG1
        case 0x8b: { // LONG4
          const n = int32(source.read(4));
          if (n < 0 || n > 4096) fail(`LONG4 of ${n} bytes`);
          push(longLE(Uint8Array.from(source.read(n))));
          break;
        }
        case 0x46: { // FLOAT
          const s = latin1.decode(source.line(64)).trim();
          push(Number(s));
          break;
        }
        case 0x47: push(Buffer.from(source.read(8)).readDoubleBE(0)); break; // BINFLOAT
        case 0x53: { // STRING (protocol 0, Python 2 str repr)
          const b = unescapePyString(latin1.decode(source.line(limits.maxInlineBytes)).trimEnd());
          push(latin1.decode(b));
          break;
        }
        case 0x54: push(py2str(int32(source.read(4)))); break; // BINSTRING
        case 0x55: push(py2str(source.read(1)[0]!)); break; // SHORT_BINSTRING
        case 0x56: push(unescapeRawUnicode(source.line(limits.maxInlineBytes))); break; // UNICODE
        case 0x58: push(text(uint32(source.read(4)))); break; // BINUNICODE
        case 0x8c: push(text(source.read(1)[0]!)); break; // SHORT_BINUNICODE
        case 0x8d: push(text(uint64(source.read(8)))); break; // BINUNICODE8
        case 0x42: push(bytesOf(uint32(source.read(4)), false)); break; // BINBYTES
        case 0x43: push(bytesOf(source.read(1)[0]!, false)); break; // SHORT_BINBYTES
        case 0x8e: push(bytesOf(uint64(source.read(8)), false)); break; // BINBYTES8
        case 0x96: push(bytesOf(uint64(source.read(8)), false)); break; // BYTEARRAY8
        case 0x97: fail('out-of-band buffers (NEXT_BUFFER) are not supported'); break;
        case 0x98: break; // READONLY_BUFFER: no-op on our values
        case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x74: push(new PyTuple(popMark())); break; // TUPLE
        case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
        case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
        case 0x5d: push(new PyList([])); break; // EMPTY_LIST
        case 0x6c: push(new PyList(popMark())); break; // LIST
        case 0x61: { // APPEND
          const v = pop();
          const l = top();
          if (l instanceof PyList) l.items.push(v);
          else if (l instanceof PyObject) l.listItems.push(v);
          else fail(`APPEND to ${describe(l)}`);
          break;
        }
        case 0x65: { // APPENDS
          const items = popMark();
          const l = top();
          if (l instanceof PyList) l.items.push(...items);
          else if (l instanceof PyObject) l.listItems.push(...items);
          else fail(`APPENDS to ${describe(l)}`);
          break;
        }
        case 0x7d: push(new PyDict()); break; // EMPTY_DICT
        case 0x64: { // DICT
          const items = popMark();
          const d = new PyDict();
          for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
          push(d);
          break;
        }
        case 0x73: { // SETITEM
          const v = pop();
          const k = pop();
          const d = top();
          if (!(d instanceof PyDict)) fail(`SETITEM on ${describe(d)}`);
          (d as PyDict).set(k, v);
          break;
        }
        case 0x75: { // SETITEMS
          const items = popMark();
          const d = top();
          if (!(d instanceof PyDict)) fail(`SETITEMS on ${describe(d)}`);
          if (items.length % 2) fail('SETITEMS with an odd number of items');
          for (let i = 0; i < items.length; i += 2) (d as PyDict).set(items[i]!, items[i + 1]!);
          break;
        }
        case 0x8f: push(new PySet([])); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof PySet)) fail(`ADDITEMS on ${describe(s)}`);
          (s as PySet).items.push(...items);
          break;
        }
        case 0x91: push(new PySet(popMark())); break; // FROZENSET
        case 0x67: memoGetPush(latin1.decode(source.line(32))); break; // GET
        case 0x68: push(memoGet(source.read(1)[0]!)); break; // BINGET
        case 0x6a: push(memoGet(uint32(source.read(4)))); break; // LONG_BINGET
        case 0x70: memoPut(Number(latin1.decode(source.line(32)).trim()), top()); break; // PUT
        case 0x71: memoPut(source.read(1)[0]!, top()); break; // BINPUT
        case 0x72: memoPut(uint32(source.read(4)), top()); break; // LONG_BINPUT
        case 0x94: memoPut(memo.size, top()); break; // MEMOIZE
        case 0x63: { // GLOBAL
          const module = latin1.decode(source.line(1024)).trim();
          const name = latin1.decode(source.line(1024)).trim();
          push(global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
          push(global(module as string, name as string));
          break;
        }
        case 0x52: { // REDUCE
          const args = pop();
          const fn = pop();
          if (!(args instanceof PyTuple)) fail(`REDUCE with ${describe(args)} arguments`);
          push(call(fn, (args as PyTuple).items));
          break;
        }
        case 0x62: { // BUILD
          const state = pop();
          build(top(), state);
          break;
        }
        case 0x81: { // NEWOBJ
          const args = pop();
          const cls = pop();
          if (!(cls instanceof PyGlobal)) fail(`NEWOBJ of ${describe(cls)}`);
          push(newObject(cls as PyGlobal, args instanceof PyTuple ? args.items : []));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          pop();
          const args = pop();
          const cls = pop();
          if (!(cls instanceof PyGlobal)) fail(`NEWOBJ_EX of ${describe(cls)}`);
          push(newObject(cls as PyGlobal, args instanceof PyTuple ? args.items : []));
          break;
        }
        case 0x69: { // INST
          const module = latin1.decode(source.line(1024)).trim();
          const name = latin1.decode(source.line(1024)).trim();
          const args = popMark();
          const cls = global(module, name);
          if (args.length > 0) fail(`refused call of ${cls.qualified} with arguments: the safe reader executes nothing`);
          push(newObject(cls, []));
          break;
        }
        case 0x6f: { // OBJ
          const items = popMark();
          const cls = items.shift();
          if (!(cls instanceof PyGlobal)) fail(`OBJ of ${describe(cls)}`);
          if (items.length > 0) fail(`refused call of ${(cls as PyGlobal).qualified} with arguments: the safe reader executes nothing`);
          push(newObject(cls as PyGlobal, []));
          break;
        }
        case 0x50: case 0x51: fail('persistent IDs (PERSID) are not supported: the pickle refers to objects outside itself'); break;
        case 0x82: case 0x83: case 0x84: fail('extension registry codes (EXT1/2/4) are not supported'); break;
        default:
          fail(`unknown opcode 0x${op.toString(16)} (not a pickle, or a damaged one)`);
      }
    }
  } catch (err) {
    if (err instanceof TruncatedError) {
      throw new PickleError(`${file}: truncated pickle: ${err.message} inside opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opAt}`);
    }
    if (err instanceof RangeError) throw new PickleError(`${file}: ${err.message} (opcode 0x${op.toString(16)} at byte ${opAt})`);
    throw err;
  }

  function memoGetPush(s: string): void {
    push(memoGet(Number(s.trim())));
  }
  function newObject(cls: PyGlobal, args: readonly PyValue[]): PyValue {
    if (NUMPY_NDARRAY.has(cls.qualified)) return new PyArray(cls.qualified);
    if (ORDERED_DICT.has(cls.qualified)) return new PyDict();
    return new PyObject(cls, args);
  }
}

function scalarOf(dt: PyDType, b: Uint8Array, q: string): number | bigint {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = dt.order !== '>';
  const k = dt.descr.replace(/^[<>|=]/, '');
  const need: Record<string, number> = { f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };
  if (!(k in need) || b.length < need[k]!) throw new PickleError(`${q}: unsupported scalar dtype ${dt.descr}`);
  switch (k) {
    case 'f4': return dv.getFloat32(0, little);
    case 'f8': return dv.getFloat64(0, little);
    case 'i1': return dv.getInt8(0);
    case 'i2': return dv.getInt16(0, little);
    case 'i4': return dv.getInt32(0, little);
    case 'i8': return dv.getBigInt64(0, little);
    case 'u1': case 'b1': return dv.getUint8(0);
    case 'u2': return dv.getUint16(0, little);
    case 'u4': return dv.getUint32(0, little);
    default: return dv.getBigUint64(0, little);
  }
}
