/**
 * The error of the given class that `fn` throws. The test fails when it throws nothing, or an error
 * of another class (rethrown as is, so its message shows).
 */
export function thrownBy<E extends Error>(errorClass: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof errorClass) return e;
    throw e;
  }
  throw new Error(`expected a ${errorClass.name}`);
}
