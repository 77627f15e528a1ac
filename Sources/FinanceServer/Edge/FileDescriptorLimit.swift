import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`), raised at startup to fit `http.maxConnections`.
public enum FileDescriptorLimit {
    /// Descriptors kept beyond the connections: the listening socket, the store's files and connections, logs.
    public static let headroom = 1024

    /// The soft and hard limits now.
    public static func current() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        return (Self.int(limit.rlim_cur), Self.int(limit.rlim_max))
    }

    /// Raises the soft limit to `wanted` (never above the hard limit, never lowered) and logs what it got: info when
    /// it fits, a warning when the hard limit is lower. Returns the soft limit in force.
    @discardableResult
    public static func raise(toFit wanted: Int, logger: Logger) -> Int? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else {
            logger.warning("could not read the file-descriptor limit (RLIMIT_NOFILE)")
            return nil
        }
        let soft = Self.int(limit.rlim_cur)
        let hard = Self.int(limit.rlim_max)
        if soft >= wanted {
            logger.debug("file-descriptor limit \(soft) fits \(wanted)")
            return soft
        }
        let target = min(wanted, hard)
        limit.rlim_cur = rlim_t(target)
        guard setrlimit(Self.resource, &limit) == 0 else {
            logger.warning("could not raise the file-descriptor limit from \(soft) to \(target); it stays \(soft)")
            return soft
        }
        if target < wanted {
            logger.warning(
                "raised the file-descriptor limit from \(soft) to \(target), the hard limit; http.maxConnections with its headroom wants \(wanted)"
            )
        } else {
            logger.info(
                "raised the file-descriptor limit from \(soft) to \(target) (http.maxConnections plus headroom)")
        }
        return target
    }

    private static func int(_ value: rlim_t) -> Int { value >= rlim_t(Int.max) ? Int.max : Int(value) }

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
