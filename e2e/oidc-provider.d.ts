// oidc-provider ships no type declarations; the e2e test uses this much of it.
declare module "oidc-provider" {
  import type { Server } from "node:http";

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** Koa's listen: an http.Server serving the provider. */
    listen(port: number, host?: string): Server;
  }
}
