// An isolated tool's handler (run in a worker thread by `isolated()`): a synchronous loop that never ends. In-process
// it would hold the server's event loop for good; in its worker, the guard terminates it at the call's time limit.
export default function runawayLoop(): never {
  while (true) {
    // spins
  }
}
