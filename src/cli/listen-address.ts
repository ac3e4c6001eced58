/** Checks a `--listen` address before the server binds it: a host without a port is a mistake, not port 443. */
import { ParzenError } from "../errors.js";

/** `host:port`, `[v6]:port` or `unix:///path`, else FAILED_PRECONDITION saying what to write. */
export function checkListenAddress(address: string): string {
  if (address.startsWith("unix:")) return address;
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d+)$/.exec(address);
  if (m === null || m[1] === "" || Number(m[2]) > 65535) {
    const host = address.replace(/:\d*$/, "") || "127.0.0.1";
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `--listen ${address}: give host:port (e.g. ${host}:50051, or ${host}:0 for a free port) or unix:///path.sock`,
    );
  }
  return address;
}
