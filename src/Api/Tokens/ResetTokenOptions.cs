namespace ThrottleCluster.Api.Tokens;

/// <summary>Configuration section <c>Tokens</c>.</summary>
public sealed class ResetTokenOptions
{
    public const string Section = "Tokens";

    /// <summary><c>Tokens:Lifetime</c>: how long an emailed token stays valid (default 15 minutes; 1 minute to 1 day).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(15);
}
