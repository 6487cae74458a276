"""Stage 3, index: the store protocols, their backends, versioned publishing, and the build."""
