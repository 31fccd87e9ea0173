/** Yields turns of the event loop until `check()` holds (a record is written when its body ends). */
export const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setImmediate(r));
};
