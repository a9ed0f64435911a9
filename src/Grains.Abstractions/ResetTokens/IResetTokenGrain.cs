namespace ThrottleCluster.Grains.Abstractions.ResetTokens;

/// <summary>
/// One account's reset token (key: <c>base64url(UTF-8 account id)</c>): the SHA-256 hash of the one
/// token currently valid for it. The token itself never reaches or stays in the grain.
/// </summary>
[Alias("tc.reset-token")]
public interface IResetTokenGrain : IGrainWithStringKey
{
    /// <summary>Length of the token hash (SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>A new email went out: its token replaces (and so invalidates) any previous one.</summary>
    [Alias("issue")]
    Task<ResetTokenResult> Issue(byte[] hash, DateTimeOffset expiresAt);

    /// <summary>The user presented a token: succeeds once, while it is the current token and not expired.</summary>
    [Alias("consume")]
    Task<ResetTokenResult> Consume(byte[] hash);
}

[GenerateSerializer, Alias("tc.reset-token-outcome")]
public enum ResetTokenOutcome
{
    /// <summary><see cref="IResetTokenGrain.Issue"/>: the token is now the account's current one.</summary>
    Issued,

    /// <summary><see cref="IResetTokenGrain.Consume"/>: the token was valid and is now used.</summary>
    Consumed,

    /// <summary>No token is held, or the presented one is not the current one.</summary>
    Unknown,

    /// <summary>The current token was already used.</summary>
    AlreadyUsed,

    /// <summary>The token's expiry has passed (for an issue: it was already past).</summary>
    Expired,

    /// <summary>The command was malformed (a hash of the wrong length); nothing changed.</summary>
    Invalid,
}

/// <param name="Outcome">What happened; callers answer every failure the same way.</param>
[GenerateSerializer, Immutable, Alias("tc.reset-token-result")]
public sealed record ResetTokenResult(ResetTokenOutcome Outcome)
{
    public bool Succeeded => Outcome is ResetTokenOutcome.Issued or ResetTokenOutcome.Consumed;
}
