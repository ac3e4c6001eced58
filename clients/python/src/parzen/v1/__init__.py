"""Generated protobuf and gRPC stubs for parzen.v1 (do not edit)."""
