// Multi-threaded XNNPACK for the wasm backend in Node. tfjs-backend-wasm ships a threaded SIMD
// build but never selects it in Node; four obstacles stand in the way (../shared/notes/wasm-threads.md):
//  1. WASM_HAS_MULTITHREAD_SUPPORT is false in Node → set the flag.
//  2. The pthread worker script and the main script are handed to `new Worker()` as blob: URLs,
//     which Node's Worker rejects → Blob texts are recorded and written to temporary .cjs files.
//  3. The main script is the emscripten factory's toString(), which refers to names the bundler
//     defined outside it (require$$0 …, commonjsGlobal) → they are defined at the top of that file.
//  4. The pool is capped at hardwareConcurrency/2, read via os.cpus() → os.cpus() reports 2× the cores
//     while the backend initialises.
// All of these patch process-wide globals, so this runs only in the engine's own worker process,
// before the backend is initialised, and only when asked for (STYLIZE_WASM_THREADS).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

const PRELUDE =
  "var require$$0 = require('fs'); var require$$1 = require('path'); var require$$3 = require('perf_hooks');" +
  "var require$$4 = require('os'); var commonjsGlobal = globalThis;\n";

let patched = false;
// Pool threads are only ever waited on synchronously from wasm, so once the backend is up they
// must not keep the process alive (before that, their 'loaded' messages are what init awaits).
const poolWorkers = new Set<Worker>();
let backendReady = false;

/** Call before selectBackend('wasm'); call the returned function once the backend is ready. */
export async function enableWasmThreads(threads: number): Promise<() => void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!patched) {
    patched = true;
    // One shared folder, files named by their content: every worker process (and every restart of
    // one) reuses the same two scripts instead of leaving a folder behind each time.
    const dir = path.join(os.tmpdir(), 'stylize-wasm-scripts');
    mkdirSync(dir, { recursive: true });
    const texts = new WeakMap<Blob, string>();
    const files = new WeakMap<Blob, string>();
    const NativeBlob = globalThis.Blob;
    class RecordingBlob extends NativeBlob {
      constructor(...args: ConstructorParameters<typeof Blob>) {
        super(...args);
        const parts = args[0];
        if (parts && Array.from(parts).every((p) => typeof p === 'string')) texts.set(this, Array.from(parts).join(''));
      }
    }
    globalThis.Blob = RecordingBlob as typeof Blob;
    const nativeCreate = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (obj: Blob) => {
      const text = texts.get(obj);
      if (text === undefined) return nativeCreate(obj);
      const isMain = text.startsWith('var WasmBackendModuleThreadedSimd');
      const script = isMain ? PRELUDE + text : text;
      const file = path.join(dir, `${createHash('sha256').update(script).digest('hex').slice(0, 16)}.cjs`);
      if (!existsSync(file)) {
        // Written aside and renamed, so a process starting at the same moment never reads half a file.
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script);
        renameSync(tmp, file);
      }
      files.set(obj, file);
      return file;
    };
    const nativePost = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, msg: unknown, transfer?: Parameters<typeof nativePost>[1]) {
      const m = msg as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m && m.cmd === 'load' && m.urlOrBlob instanceof NativeBlob) {
        const file = files.get(m.urlOrBlob) ?? URL.createObjectURL(m.urlOrBlob);
        m.urlOrBlob = file;
        poolWorkers.add(this);
        if (backendReady) this.unref();
      }
      return nativePost.call(this, msg, transfer as never);
    } as typeof nativePost;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const nativeCpus = os.cpus;
  const cpus = nativeCpus();
  // XNNPACK allows hardwareConcurrency/2 threads: report enough cores for the pool we want.
  os.cpus = () => Array.from({ length: Math.max(cpus.length, threads * 2) }, (_, i) => cpus[i % cpus.length]);
  return () => {
    os.cpus = nativeCpus;
    backendReady = true;
    for (const w of poolWorkers) w.unref();
  };
}

export async function wasmThreadsCount(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}
