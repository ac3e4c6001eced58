/**
 * Limits on connections, as grpc-js server options. Without them a
 * forgotten or half-open TCP connection lives as long as the process, and
 * one connection may open any number of streams.
 */
export interface ConnectionLimits {
  /** A connection with no call in flight for this long is closed (GOAWAY); clients reconnect on their next call. */
  idleTimeoutMs: number;
  /** The server pings each client this often, and closes the connection when a ping goes unanswered... */
  keepaliveMs: number;
  /** ...for this long: a vanished peer is noticed even while its calls are open. */
  keepaliveTimeoutMs: number;
  /** Connections are closed gracefully after this long (0: never), so clients rebalance across servers. */
  maxAgeMs: number;
  /** Concurrent calls (HTTP/2 streams) one connection may have open; the client queues the rest. */
  maxStreamsPerConnection: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  idleTimeoutMs: 5 * 60_000,
  keepaliveMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  maxAgeMs: 0,
  maxStreamsPerConnection: 256,
};

/** The grpc-js channel options for `limits`. */
export function connectionOptions(limits: Partial<ConnectionLimits> = {}): Record<string, number> {
  const l = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  const options: Record<string, number> = {
    "grpc.max_connection_idle_ms": l.idleTimeoutMs,
    "grpc.keepalive_time_ms": l.keepaliveMs,
    "grpc.keepalive_timeout_ms": l.keepaliveTimeoutMs,
    "grpc.max_concurrent_streams": l.maxStreamsPerConnection,
  };
  if (l.maxAgeMs > 0) {
    options["grpc.max_connection_age_ms"] = l.maxAgeMs;
    // Calls in flight when a connection reaches its age may finish within the grace.
    options["grpc.max_connection_age_grace_ms"] = 60_000;
  }
  return options;
}
