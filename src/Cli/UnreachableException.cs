namespace ThrottleCluster.Cli;

/// <summary>What the command drives did not answer: the silo (refused connection, unknown host, no reply in time) or, for attack, the Api.</summary>
public sealed class UnreachableException(string message) : Exception(message);
