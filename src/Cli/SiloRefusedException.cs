namespace ThrottleCluster.Cli;

/// <summary>The silo (or the Api, <see cref="Host"/>) answered with an error status; <see cref="Title"/> and <see cref="Detail"/> are its problem+json.</summary>
public sealed class SiloRefusedException(int status, string title, string? detail, string host = "silo")
    : Exception(detail is null ? $"{title} (HTTP {status})" : $"{title} (HTTP {status}): {detail}")
{
    public string Host { get; } = host;
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
}
