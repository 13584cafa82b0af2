// What the tests and the benchmarks share. Private to the workspace: never a dependency of a published package
// (only of their tests).

/** This process's live handles and requests in flight, by type. */
export { activeResources, isRequest } from './active-handles.js';
/** One reading of everything the process holds, and what one reading holds above another. */
export { type Excess, excess, type GroundTruth, type GroundTruthOptions, readGroundTruth } from './ground-truth.js';
/** The leak corpus: a body per kind of resource that opens one and leaves it open. */
export {
  LEAKS,
  type LeakBody,
  type LeakContext,
  type LeakEnv,
  type LeakName,
  type SignalOption,
} from './leak-corpus.js';
/** The files the leak corpus opens, in a scratch directory. */
export { type LeakScratch, leakScratch } from './leak-scratch.js';
/** This process's open descriptors from /proc/self/fd, and which of them are the pidusage cache's. */
export { isProcStatFd, type OpenFd, openFdList } from './open-fds.js';
/** Processes seen in /proc: state, liveness, those carrying a marker, descendants. */
export { descendantsOf, isRunning, type MarkedProcess, markedProcessList, processState } from './processes.js';
/** Collecting garbage until the heap's figures show it freed. */
export { settleHeap } from './settle-heap.js';
/** Waiting for the process to be steady (a baseline), or back to a baseline (after a cleanup). */
export { type SettleOptions, type SteadyOptions, settleTo, steadyReading } from './settling.js';
/** A promise resolved after a delay. */
export { sleep } from './sleep.js';
/** Every socket of the network namespace, described, by inode. */
export { socketTable } from './socket-table.js';
/** A self-signed certificate for TLS servers, made with openssl. */
export { hasOpenssl, makeTestCertificate } from './test-certificate.js';
/** Polls a condition until it holds; throws, naming what it waited for, when it does not in time. */
export { type UntilOptions, until } from './until.js';
