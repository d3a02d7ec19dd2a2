// `GET /api/namespaces`: namespaces with flows in the last hour (the relay's GetNamespaces), only
// those the person may see. Built by server/http/namespaces.ts.

export interface NamespaceRef {
  /** "" when the relay does not name clusters. */
  readonly cluster: string;
  readonly namespace: string;
}

export interface NamespacesResponse {
  readonly namespaces: readonly NamespaceRef[];
}
