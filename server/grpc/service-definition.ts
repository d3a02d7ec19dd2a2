import "server-only";

// Bridges protobuf-es v2 service descriptors to @grpc/grpc-js clients, which know
// nothing about protobuf: they only need a path and four (de)serializers per
// method. Doing it from the generated descriptor keeps one source of truth
// (proto/gen) instead of a second, hand-written or proto-loader schema.
// Client side only: the demo relay serves gRPC with its own HTTP/2 server
// (server/demo-relay/grpc-server.ts).

import * as grpc from "@grpc/grpc-js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, DescService, MessageShape } from "@bufbuild/protobuf";
import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { Observer } from "@/proto/gen/observer/observer_pb";

/** What a service descriptor's `method` record looks like, per method. */
type MethodShapes<D> = D extends { method: infer M extends GenServiceMethods } ? M : never;

type Req<M extends GenServiceMethods[string]> = MessageShape<M["input"]>;
type Res<M extends GenServiceMethods[string]> = MessageShape<M["output"]>;

/** grpc-js definition keyed by the camelCase method name (`getFlows`). */
export type GrpcServiceDefinition<M extends GenServiceMethods> = {
  readonly [K in keyof M]: grpc.MethodDefinition<Req<M[K]>, Res<M[K]>>;
};

interface UnaryClientMethod<I, O> {
  (request: I, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
  (request: I, metadata: grpc.Metadata, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
  (request: I, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
}

type ServerStreamingClientMethod<I, O> = (request: I, metadata?: grpc.Metadata, options?: Partial<grpc.CallOptions>) => grpc.ClientReadableStream<O>;

/** The client methods a generic grpc-js client gets for a service. */
export type GrpcClient<M extends GenServiceMethods> = grpc.Client & {
  [K in keyof M]: M[K]["methodKind"] extends "unary"
    ? UnaryClientMethod<Req<M[K]>, Res<M[K]>>
    : M[K]["methodKind"] extends "server_streaming"
      ? ServerStreamingClientMethod<Req<M[K]>, Res<M[K]>>
      : never; // Hubble has no client- or bidi-streaming RPCs.
};

export type GrpcClientConstructor<M extends GenServiceMethods> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => GrpcClient<M>;

function toBuffer(bytes: Uint8Array): Buffer {
  // No copy: a view on the same memory is all grpc-js needs.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serializerFor<Desc extends DescMessage>(schema: Desc) {
  return (value: MessageShape<Desc>): Buffer => toBuffer(toBinary(schema, value));
}

function deserializerFor<Desc extends DescMessage>(schema: Desc) {
  return (bytes: Buffer): MessageShape<Desc> => fromBinary(schema, bytes);
}

/**
 * Turns a generated service (e.g. `Observer`) into a grpc-js ServiceDefinition.
 * Keys are the camelCase names; `originalName` carries the proto name, so grpc-js
 * accepts handlers under either spelling.
 */
export function serviceDefinition<D extends DescService>(service: D): GrpcServiceDefinition<MethodShapes<D>> {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializerFor(method.input) as (value: unknown) => Buffer,
      requestDeserialize: deserializerFor(method.input),
      responseSerialize: serializerFor(method.output) as (value: unknown) => Buffer,
      responseDeserialize: deserializerFor(method.output),
    };
  }
  return definition as GrpcServiceDefinition<MethodShapes<D>>;
}

export type ObserverMethods = MethodShapes<typeof Observer>;

export const observerServiceDefinition = serviceDefinition(Observer);

export type ObserverClient = GrpcClient<ObserverMethods>;

export const ObserverClientConstructor = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer") as unknown as GrpcClientConstructor<ObserverMethods>;
