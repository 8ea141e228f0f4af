// Placeholder entry point; the chaos harness replaces this file.
@main
enum DrainChaos {
    static func main() {}
}
