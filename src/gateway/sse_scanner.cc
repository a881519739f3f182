// Placeholder: filled in by the gateway work (issue 7).
