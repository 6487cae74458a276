"""Stage 2, embedding: the `Embedder` protocol, the offline e5-small model, the ONNX question path, the cache."""
