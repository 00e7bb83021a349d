@main struct OMS { static func main() {} }
