using System.Text.Json.Serialization;

namespace ThrottleCluster.Grains.Abstractions.ResetTokens;

/// <summary>
/// The reset-token grain: one per account (key: <c>base64url(UTF-8 account id)</c>), holding the
/// SHA-256 hash of the one token currently valid for it. The token itself is never sent to or kept
/// by the grain.
/// </summary>
public static class ResetTokenGrainKind
{
    public const string Kind = "reset-token";

    /// <summary>Length of the token hash (SHA-256).</summary>
    public const int HashLength = 32;
}

[JsonPolymorphic]
[JsonDerivedType(typeof(Issue), "issue")]
[JsonDerivedType(typeof(Consume), "consume")]
public abstract record ResetTokenCommand
{
    /// <summary>A new email went out: its token replaces (and so invalidates) any previous one.</summary>
    public sealed record Issue(byte[] Hash, DateTimeOffset ExpiresAt) : ResetTokenCommand;

    /// <summary>The user presented a token: succeeds once, while it is the current token and not expired.</summary>
    public sealed record Consume(byte[] Hash) : ResetTokenCommand;
}

public enum ResetTokenOutcome
{
    /// <summary><see cref="ResetTokenCommand.Issue"/>: the token is now the account's current one.</summary>
    Issued,

    /// <summary><see cref="ResetTokenCommand.Consume"/>: the token was valid and is now used.</summary>
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
public sealed record ResetTokenResult(ResetTokenOutcome Outcome)
{
    [JsonIgnore]
    public bool Succeeded => Outcome is ResetTokenOutcome.Issued or ResetTokenOutcome.Consumed;
}
