/**
 * Server reflection (grpc.reflection v1 and v1alpha, for grpcurl), built on its first call rather than at
 * start-up: @grpc/reflection indexes and re-encodes every descriptor and loads its own protos when constructed,
 * which was about 40 % of the server's start-up CPU (bench/RESULTS.md, "Start-up time"), while most servers
 * never receive a reflection call. Both services are registered at once under their fixed method paths; the
 * library's own definitions and handlers are made, and registered calls delegated to them, on the first use.
 */
import { createRequire } from "node:module";
import type { Server, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { ReflectionService } from "@grpc/reflection";

export type ReflectionPackage = ConstructorParameters<typeof ReflectionService>[0];
interface Registered {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

const VERSIONS = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"] as const;
const METHOD = "ServerReflectionInfo";

export function addLazyReflection(server: Server, pkg: () => ReflectionPackage): void {
  let services: Map<string, Registered> | undefined;
  /** The library's services by name, made once (synchronously: message decoding needs them at once). */
  const real = (service: string): Registered => {
    if (services === undefined) {
      const made = new Map<string, Registered>();
      // A CommonJS package: require keeps this synchronous (an import() would not be).
      const { ReflectionService: Reflection } = createRequire(import.meta.url)(
        "@grpc/reflection",
      ) as typeof import("@grpc/reflection");
      const collector = {
        addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation) {
          const path = Object.values(definition)[0]?.path ?? "";
          made.set(path.slice(1, path.lastIndexOf("/")), { definition, implementation });
        },
      };
      new Reflection(pkg()).addToServer(collector as unknown as Server);
      services = made;
    }
    const found = services.get(service);
    if (found === undefined) throw new Error(`@grpc/reflection registered no ${service}`);
    return found;
  };
  for (const service of VERSIONS) {
    const method = () => real(service).definition[METHOD]!;
    const definition: ServiceDefinition = {
      [METHOD]: {
        path: `/${service}/${METHOD}`,
        requestStream: true,
        responseStream: true,
        originalName: "serverReflectionInfo",
        requestSerialize: (value: unknown) => method().requestSerialize(value),
        requestDeserialize: (bytes: Buffer) => method().requestDeserialize(bytes),
        responseSerialize: (value: unknown) => method().responseSerialize(value),
        responseDeserialize: (bytes: Buffer) => method().responseDeserialize(bytes),
      },
    };
    const handler = ((call: unknown) =>
      (real(service).implementation[METHOD] as (call: unknown) => void)(call)) as UntypedHandleCall;
    server.addService(definition, { [METHOD]: handler });
  }
}
