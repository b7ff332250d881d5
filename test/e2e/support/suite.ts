/**
 * The shape every e2e file shares: one server per backend (started in `before`, closed in
 * `after`), and inside it one describe block per SDK major, named e.g. `sqlite · openai@4`.
 */
import { after, before, describe } from 'node:test';
import { BACKENDS, startTestServer, type Backend, type TestServer, type TestServerOptions } from '../../helpers/server.js';
import { SDKS, type Facade, type Sdk } from '../sdks.js';

export interface ServerHandle {
  backend: Backend;
  /** The running server; only valid inside hooks and tests. */
  readonly server: TestServer;
  readonly baseURL: string;
}

export interface SdkSuite extends ServerHandle {
  sdk: Sdk;
  /** A facade on the shared server with the default key. */
  readonly client: Facade;
  /** A facade on the shared server with another key. */
  as(apiKey: string): Facade;
}

/** One describe per backend with its own server; `define` registers the tests. */
export function describeEachBackend(
  title: string,
  options: TestServerOptions,
  define: (handle: ServerHandle) => void,
): void {
  for (const backend of BACKENDS) {
    describe(`${title} · ${backend}`, () => {
      let server: TestServer | undefined;
      before(async () => {
        server = await startTestServer(backend, options);
      });
      after(async () => {
        await server?.close();
      });
      define({
        backend,
        get server() {
          if (!server) throw new Error('the test server is not running');
          return server;
        },
        get baseURL() {
          return this.server.baseURL;
        },
      });
    });
  }
}

/** A server per backend, and within it a describe per SDK major sharing that server. */
export function describeEachBackendAndSdk(
  title: string,
  options: TestServerOptions,
  define: (suite: SdkSuite) => void,
): void {
  describeEachBackend(title, options, (handle) => {
    for (const sdk of SDKS) {
      describe(`${handle.backend} · ${sdk.name}`, () => {
        let client: Facade | undefined;
        define({
          backend: handle.backend,
          sdk,
          get server() {
            return handle.server;
          },
          get baseURL() {
            return handle.baseURL;
          },
          get client() {
            client ??= sdk.make(handle.baseURL);
            return client;
          },
          as: (apiKey) => sdk.make(handle.baseURL, apiKey),
        });
      });
    }
  });
}
