/**
 * The CLI loads only the command it runs: the top-level help is built from
 * tools/commands.ts's table without importing any command, and must read
 * exactly as it does with every command registered; running a command
 * registers that command as its own file does.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command, Help } from 'commander';
import { commandToLoad, createProgram, registerFor } from '../tools/cli.js';
import { COMMAND_TABLE, loadAllCommands } from '../tools/commands.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);

test('top-level help without loading commands reads exactly as with every command registered', async () => {
  const eager = createProgram();
  for (const register of await loadAllCommands()) register(eager);
  const lazy = createProgram();
  await registerFor(lazy, ['--help']);
  assert.equal(lazy.helpInformation(), eager.helpInformation());
  assert.match(lazy.helpInformation(), /^ {2}quantize \[options\] {13}write a static int8 \(QDQ\) version/m);
});

test('each table entry names, describes and lists the command as its file registers it', async () => {
  const help = new Help();
  for (const c of COMMAND_TABLE) {
    const p = new Command('deeppose');
    (await c.load())(p);
    assert.equal(p.commands.length, 1, c.name);
    const cmd = p.commands[0]!;
    assert.equal(cmd.name(), c.name);
    assert.equal(cmd.description(), c.description);
    assert.equal(help.subcommandTerm(cmd), c.term);
  }
});

test('the command to load is the first operand (or the one after help)', async () => {
  assert.equal(commandToLoad(['--verbose', 'predict', 'a.jpg'])?.name, 'predict');
  assert.equal(commandToLoad(['help', 'eval'])?.name, 'eval');
  assert.equal(commandToLoad(['--help']), undefined);
  assert.equal(commandToLoad(['nonsense']), undefined);
  const p = createProgram();
  await registerFor(p, ['serve', '--port', '0']);
  assert.deepEqual(p.commands.map((c) => c.name()), ['serve']);
});

test('`deeppose --help` loads no package but commander; `predict --help` no onnxruntime, sharp, express, h5wasm or the queue client', async () => {
  const preload = path.join(tmp.dir, 'loaded.cjs');
  writeFileSync(preload, `process.on('exit', () => {
    const names = new Set(Object.keys(require.cache).filter((k) => k.includes('/node_modules/')).map((k) => k.split('/node_modules/').pop().split('/')[0]));
    process.stderr.write('LOADED ' + [...names].sort().join(',') + '\\n');
  });\n`);
  const loaded = async (...args: string[]) => {
    const r = await run(process.execPath, ['-r', preload, CLI, ...args]);
    return /LOADED (.*)/.exec(r.stderr)![1]!.split(',');
  };
  assert.deepEqual(await loaded('--help'), ['commander']);
  const predict = await loaded('predict', '--help');
  assert.ok(predict.includes('commander'), predict.join(','));
  for (const heavy of ['onnxruntime-node', 'sharp', 'express', 'h5wasm', 'bullmq', 'ioredis']) assert.ok(!predict.includes(heavy), `${heavy} loaded by predict --help: ${predict.join(',')}`);
});

test('`eval` loads no onnxruntime on its main thread (its worker threads run the model), and its threads decode LSPET\'s JPEGs without sharp', async () => {
  const preload = path.join(tmp.dir, 'main-loaded.cjs');
  writeFileSync(preload, `if (require('node:worker_threads').isMainThread) process.on('exit', () => {
    const names = new Set(Object.keys(require.cache).filter((k) => k.includes('/node_modules/')).map((k) => k.split('/node_modules/').pop().split('/')[0]));
    process.stderr.write('MAIN LOADED ' + [...names].sort().join(',') + '\\n');
  });
  else {
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === 'sharp' || request === 'onnxruntime-node') require('node:fs').writeSync(2, 'WORKER REQUIRES ' + request + '\\n');
      return load.call(this, request, ...rest);
    };
  }\n`);
  const r = await run(process.execPath, ['-r', preload, CLI, 'eval', '--stages', '1', '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-test', '--out', path.join(tmp.dir, 'report')], { env: { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') } });
  const main = /MAIN LOADED (.*)/.exec(r.stderr)![1]!.split(',');
  assert.ok(main.includes('sharp'), `the report's tiles load sharp: ${main.join(',')}`);
  assert.ok(!main.includes('onnxruntime-node') && !main.includes('onnxruntime-common'), `onnxruntime loaded on eval's main thread: ${main.join(',')}`);
  const workers = [...r.stderr.matchAll(/WORKER REQUIRES (\S+)/g)].map((m) => m[1]);
  assert.ok(workers.includes('onnxruntime-node'), `the worker threads load the runtime: ${workers.join(',')}`);
  assert.ok(!workers.includes('sharp'), `sharp loaded on an evaluation thread (data/jpeg decodes these JPEGs): ${workers.join(',')}`);
  assert.match(r.stdout, /strict PCP/);
});
