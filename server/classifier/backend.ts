import * as tf from '@tensorflow/tfjs-core';

import type { BackendChoice } from '../config.js';
import type { BackendName } from './types.js';

/** The backend a worker runs on, and why it was chosen. */
export interface BackendSelection {
  readonly name: BackendName;
  readonly reason: string;
}

/** Thrown when a backend requested by name through CATDOG_BACKEND cannot start. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

// A variable keeps TypeScript from resolving the optional native package, which has no
// types installed when its native addon failed to build.
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

/** First line of an error's message, without trailing dots or spaces, to fit in a sentence. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? message;
  return firstLine.replace(/[\s.]+$/, '');
}

/** Explains why tfjs-node did not load, in words that fit after "because". */
function describeNodeFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND') return '@tensorflow/tfjs-node is not installed';

  const reason = describe(error);
  // tfjs-node's own message on a missing addon runs to several lines and a long path.
  if (reason.includes('tfjs_binding.node')) return 'the tfjs-node native addon (tfjs_binding.node) was not built when the package was installed';
  return reason;
}

/** Fix to suggest for each backend that fails when requested by name. */
const FIX_BY_BACKEND: Readonly<Record<BackendName, string>> = {
  node: 'unset CATDOG_BACKEND or set it to wasm',
  wasm: 'unset CATDOG_BACKEND, or set it to cpu for the slower pure-JS backend',
  cpu: 'unset CATDOG_BACKEND or set it to wasm',
};

function describeFailure(choice: BackendName, error: unknown): string {
  return choice === 'node' ? describeNodeFailure(error) : describe(error);
}

async function startNode(): Promise<void> {
  // tfjs-node registers its 'tensorflow' backend on import, on the tfjs-core instance it
  // resolves.
  // NOTE: this path is untested, because tfjs-node's native addon did not build where the
  // tests run. It relies on npm deduplicating tfjs-core so both packages share one instance.
  await import(TFJS_NODE_PACKAGE);
  if (!(await tf.setBackend('tensorflow'))) throw new Error("tfjs-node loaded but the 'tensorflow' backend failed to initialize");
}

async function startWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');

  // One single-threaded wasm instance per worker: the pool already has a worker per core,
  // and the threaded build would start more threads on the same cores.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error("the 'wasm' backend failed to initialize");
  if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('this Node.js build has no WebAssembly SIMD, which the wasm backend needs for usable speed');
}

async function startCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend failed to initialize");
}

const starters: Readonly<Record<BackendName, () => Promise<void>>> = { node: startNode, wasm: startWasm, cpu: startCpu };

/**
 * Starts the TF.js backend for this thread. `auto` tries tfjs-node, then wasm with SIMD;
 * the pure-JS cpu backend runs only when requested by name, because it is several times
 * slower. A backend requested by name that fails to start throws
 * BackendUnavailableError; it never falls back to another backend.
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (choice !== 'auto') {
    try {
      await starters[choice]();
    } catch (error) {
      throw new BackendUnavailableError(`the ${choice} inference backend set by CATDOG_BACKEND=${choice} failed to start because ${describeFailure(choice, error)}; ${FIX_BY_BACKEND[choice]}`, { cause: error });
    }
    return { name: choice, reason: `requested by CATDOG_BACKEND=${choice}` };
  }

  let nodeFailure: string;
  try {
    await startNode();
    return { name: 'node', reason: 'tfjs-node loaded (auto)' };
  } catch (error) {
    nodeFailure = describeNodeFailure(error);
  }

  try {
    await startWasm();
  } catch (error) {
    throw new BackendUnavailableError(`no inference backend could start because tfjs-node failed (${nodeFailure}) and wasm failed (${describe(error)}); set CATDOG_BACKEND=cpu to run on the slower pure-JS backend`, { cause: error });
  }
  return { name: 'wasm', reason: `tfjs-node unavailable (${nodeFailure}); using wasm with SIMD (auto)` };
}
