/**
 * The standard gRPC health service (grpc.health.v1.Health: Check, Watch, List), as grpc-health-check serves it,
 * with its three small messages encoded by hand. grpc-health-check parses its .proto with proto-loader when it is
 * imported, about 90 ms of CPU at every start of the server and of each `parzen health` probe (bench/RESULTS.md,
 * "Start-up time"); these messages have one field each.
 *
 * Statuses are the enum's names ("SERVING"), as grpc-health-check (proto-loader with enums as strings) has them.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type sendUnaryData,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  status as grpcStatus,
} from "@grpc/grpc-js";

export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
const STATUSES: readonly ServingStatus[] = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
/** Above this many services List answers RESOURCE_EXHAUSTED (the health protocol's own advice). */
const LIST_LIMIT = 100;

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}
export interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

/** Calls `on` for each field of a message; fields it does not take (returns false) are skipped. */
function readFields(bytes: Uint8Array, on: (field: number, r: BinaryReader, wireType: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (!on(field, r, wireType)) r.skip(wireType, field);
  }
}

export const encodeRequest = (m: HealthCheckRequest): Buffer => {
  const w = new BinaryWriter();
  if (m.service !== "") w.tag(1, WireType.LengthDelimited).string(m.service);
  return Buffer.from(w.finish());
};

export function decodeRequest(bytes: Uint8Array): HealthCheckRequest {
  let service = "";
  readFields(bytes, (field, r, wireType) => {
    if (field !== 1 || wireType !== WireType.LengthDelimited) return false;
    service = r.string();
    return true;
  });
  return { service };
}

function writeResponse(w: BinaryWriter, m: HealthCheckResponse): BinaryWriter {
  const n = STATUSES.indexOf(m.status);
  if (n > 0) w.tag(1, WireType.Varint).int32(n);
  return w;
}

export const encodeResponse = (m: HealthCheckResponse): Buffer =>
  Buffer.from(writeResponse(new BinaryWriter(), m).finish());

export function decodeResponse(bytes: Uint8Array): HealthCheckResponse {
  let status: ServingStatus = "UNKNOWN";
  readFields(bytes, (field, r, wireType) => {
    if (field !== 1 || wireType !== WireType.Varint) return false;
    status = STATUSES[r.int32()] ?? "UNKNOWN";
    return true;
  });
  return { status };
}

function encodeList(m: HealthListResponse): Buffer {
  const w = new BinaryWriter();
  for (const [service, response] of Object.entries(m.statuses)) {
    w.tag(1, WireType.LengthDelimited).fork(); // map<string, HealthCheckResponse> entry
    w.tag(1, WireType.LengthDelimited).string(service);
    w.tag(2, WireType.LengthDelimited).fork();
    writeResponse(w, response).join();
    w.join();
  }
  return Buffer.from(w.finish());
}

function decodeList(bytes: Uint8Array): HealthListResponse {
  const statuses: Record<string, HealthCheckResponse> = {};
  readFields(bytes, (field, r, wireType) => {
    if (field !== 1 || wireType !== WireType.LengthDelimited) return false;
    let key = "";
    let value: HealthCheckResponse = { status: "UNKNOWN" };
    readFields(r.bytes(), (f, e, t) => {
      if (f === 1 && t === WireType.LengthDelimited) key = e.string();
      else if (f === 2 && t === WireType.LengthDelimited) value = decodeResponse(e.bytes());
      else return false;
      return true;
    });
    statuses[key] = value;
    return true;
  });
  return { statuses };
}

const method = (name: string, responseStream: boolean) => ({
  path: `/grpc.health.v1.Health/${name}`,
  requestStream: false,
  responseStream,
  originalName: name.toLowerCase(),
});

/** The service's definition, for a server and for a client (parzen health). */
export const HEALTH_SERVICE = {
  Check: {
    ...method("Check", false),
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  Watch: {
    ...method("Watch", true),
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  List: {
    ...method("List", false),
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: () => ({}),
    responseSerialize: encodeList,
    responseDeserialize: decodeList,
  },
} satisfies ServiceDefinition;

/** Serving statuses by service name ("" for the whole server), with their watchers. */
export class Health {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(s: ServingStatus) => void>>();

  constructor(initial: Record<string, ServingStatus>) {
    for (const [service, s] of Object.entries(initial)) this.statuses.set(service, s);
  }

  setStatus(service: string, s: ServingStatus): void {
    this.statuses.set(service, s);
    for (const watcher of this.watchers.get(service) ?? []) watcher(s);
  }

  addToServer(server: Server): void {
    server.addService(HEALTH_SERVICE, {
      Check: (
        call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        done: sendUnaryData<HealthCheckResponse>,
      ) => {
        const s = this.statuses.get(call.request.service);
        if (s === undefined)
          done({ code: grpcStatus.NOT_FOUND, details: `Health status unknown for service ${call.request.service}` });
        else done(null, { status: s });
      },
      Watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const service = call.request.service;
        const watcher = (s: ServingStatus) => call.write({ status: s });
        const set = this.watchers.get(service) ?? new Set();
        this.watchers.set(service, set);
        set.add(watcher);
        call.on("cancelled", () => set.delete(watcher));
        call.write({ status: this.statuses.get(service) ?? "SERVICE_UNKNOWN" });
      },
      List: (_call: ServerUnaryCall<unknown, HealthListResponse>, done: sendUnaryData<HealthListResponse>) => {
        if (this.statuses.size > LIST_LIMIT)
          return done({ code: grpcStatus.RESOURCE_EXHAUSTED, details: "Too many services to list." });
        done(null, { statuses: Object.fromEntries([...this.statuses].map(([k, s]) => [k, { status: s }])) });
      },
    });
  }
}
