// One turn of the host's event loop (a macrotask), so I/O such as a response's writes runs in
// between. setImmediate where the host has it (Node, where setTimeout clamps 0 to 1 ms); setTimeout 0
// elsewhere (workerd, browsers).
const host = globalThis as { setImmediate?: (callback: () => void) => unknown };

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (host.setImmediate) host.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
