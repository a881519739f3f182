// Placeholder: filled in by the gateway work (issue 7).
int main() { return 0; }
