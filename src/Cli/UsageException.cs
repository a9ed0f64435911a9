namespace ThrottleCluster.Cli;

/// <summary>A command line that parsed but makes no sense (an unknown policy path, a bad --silo); the message names the argument.</summary>
public sealed class UsageException(string message) : Exception(message);
