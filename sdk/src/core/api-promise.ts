// What every call returns: a promise of the parsed body that also exposes the raw Response and the
// server's request id, without making the common case (`await client.x.y()`) any longer.

export interface WithResponse<T> {
  data: T;
  response: Response;
  requestId: string | null;
}

export class APIPromise<T> implements PromiseLike<T> {
  readonly #result: Promise<WithResponse<T>>;

  constructor(result: Promise<WithResponse<T>>) {
    this.#result = result;
  }

  /** The parsed body together with the Response it came from and its `x-request-id`. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#result;
  }

  /** The same call with its parsed body transformed; the Response and request id are unchanged. */
  map<U>(transform: (data: T) => U): APIPromise<U> {
    return new APIPromise(this.#result.then((r) => ({ ...r, data: transform(r.data) })));
  }

  /** Only the Response (headers, status); for streams the body is still unread. */
  asResponse(): Promise<Response> {
    return this.#result.then((r) => r.response);
  }

  // biome-ignore lint/suspicious/noThenProperty: an APIPromise is meant to be awaited like a Promise.
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#result.then((r) => r.data).then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return "APIPromise";
  }
}
