namespace ThrottleCluster.Cli;

/// <summary>No answer from the silo: refused connection, unknown host, or no reply in time.</summary>
public sealed class SiloUnreachableException(string message) : Exception(message);
